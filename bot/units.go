package bot

import (
	"context"

	"hazardbot/models"
)

// MergeUnit merges the unit with code from into the unit with code into
// (see models.MergeUnit) on behalf of actorID, or of the admin API itself
// when actorID is "". Each moved hazard's event says how it came.
func (b *Bot) MergeUnit(ctx context.Context, actorID, from, into string) (*models.MergeResult, error) {
	var res *models.MergeResult
	err := b.store.InTx(ctx, func(tx *models.Tx) error {
		a := &models.Actor{UserID: "api", Name: "管理接口"}
		if actorID != "" {
			var err error
			if a, err = actorFor(ctx, tx, actorID); err != nil {
				return err
			}
			if !a.Known() {
				return models.Errorf(models.EInvalid, "actor：通讯录里没有用户 %s", actorID)
			}
		} else {
			a.Via, _ = ctx.Value(viaKey{}).(string)
		}
		var err error
		res, err = tx.MergeUnit(a, from, into)
		return err
	})
	if err == nil {
		b.log.Info("unit merged", "from", from, "into", into, "hazards", len(res.Hazards), "users", res.Users)
	}
	return res, err
}
