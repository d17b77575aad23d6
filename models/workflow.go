package models

import "strings"

// Action is something done to a hazard. Each writes exactly one event.
type Action string

// The actions. Report creates; the rest act on an existing hazard.
const (
	ActReport        Action = "report"         // 上报
	ActAssign        Action = "assign"         // 交办
	ActAccept        Action = "accept"         // 接收
	ActSubmit        Action = "submit"         // 整改 (申请销号)
	ActPass          Action = "pass"           // 复查通过，销号
	ActReject        Action = "reject"         // 复查退回
	ActList          Action = "list"           // 挂牌
	ActRequestExtend Action = "request_extend" // 申请延期
	ActApproveExtend Action = "approve_extend" // 同意延期
	ActWithdraw      Action = "withdraw"       // 撤销
	ActImport        Action = "import"         // 从台账导入
	ActSupplement    Action = "supplement"     // 补充上报: a repeat report merged in
	ActImportUpdate  Action = "import_update"  // 重新导入台账时更新
	ActMergeUnit     Action = "merge_unit"     // 责任单位合并到通讯录里的单位
	ActDismiss       Action = "dismiss"        // 核实办结: a tip closed as 不属实 or 已处理
)

// The outcomes a supervisor closes an unverified tip with (ActDismiss).
// The event's note is the outcome, a full-width colon and the reason
// (DismissNote), which is all the tipster is told.
const (
	TipFalse   = "不属实"
	TipHandled = "已处理"
)

// DismissNote is the note of an ActDismiss: "不属实：现场无此情况".
func DismissNote(outcome, reason string) string { return outcome + "：" + reason }

// ParseDismissNote splits an ActDismiss note into its outcome and reason;
// ok is false when the note is not one.
func ParseDismissNote(note string) (outcome, reason string, ok bool) {
	for _, o := range []string{TipFalse, TipHandled} {
		if r, found := strings.CutPrefix(note, o+"："); found && strings.TrimSpace(r) != "" {
			return o, strings.TrimSpace(r), true
		}
	}
	return "", "", false
}

// ActionName is the Chinese verb of an action, for events and messages.
func ActionName(a Action) string {
	switch a {
	case ActReport:
		return "上报"
	case ActAssign:
		return "交办"
	case ActAccept:
		return "接收"
	case ActSubmit:
		return "提交整改"
	case ActPass:
		return "复查通过，销号"
	case ActReject:
		return "复查退回"
	case ActList:
		return "挂牌督办"
	case ActRequestExtend:
		return "申请延期"
	case ActApproveExtend:
		return "同意延期"
	case ActWithdraw:
		return "撤销"
	case ActImport:
		return "导入"
	case ActSupplement:
		return "补充上报"
	case ActImportUpdate:
		return "导入更新"
	case ActMergeUnit:
		return "合并责任单位"
	case ActDismiss:
		return "核实办结"
	}
	return string(a)
}

// ImportStates are the states an imported ledger row may start in: what
// the office's own ledger recorded before the hazard came into the system
// (DESIGN §2: an import records, it assigns nothing new). A row done by
// then starts pending review or closed, as submit and pass would have left
// it; withdrawn and unverified are never imported.
var ImportStates = []State{StateReported, StateRectifying, StatePendingReview, StateClosed}

// importNote is the note of an import event whose row the ledger records
// as done, saying so.
func importNote(s State) string {
	switch s {
	case StatePendingReview:
		return "导入：台账记为已整改，待复查"
	case StateClosed:
		return "导入：台账记为已销号"
	}
	return ""
}

// transitions is the state machine of DESIGN §2: for each action, the states
// it may start from and the state it leads to ("" keeps the state).
var transitions = map[Action]struct {
	from []State
	to   State
}{
	ActAssign:        {[]State{StateUnverified, StateReported, StateRectifying}, StateRectifying},
	ActAccept:        {[]State{StateRectifying}, ""},
	ActSubmit:        {[]State{StateRectifying}, StatePendingReview},
	ActPass:          {[]State{StatePendingReview}, StateClosed},
	ActReject:        {[]State{StatePendingReview}, StateRectifying},
	ActList:          {[]State{StateReported, StateRectifying, StatePendingReview}, ""},
	ActRequestExtend: {[]State{StateReported, StateRectifying}, ""},
	ActApproveExtend: {[]State{StateReported, StateRectifying}, ""},
	ActWithdraw:      {[]State{StateUnverified, StateReported, StateRectifying}, StateWithdrawn},
	ActDismiss:       {[]State{StateUnverified}, StateWithdrawn},
	ActSupplement:    {[]State{StateReported, StateRectifying, StatePendingReview}, ""},
}

// Next returns the state that action leads to from state, or an invalid
// error saying why the action cannot happen now.
func Next(from State, action Action) (State, error) {
	t, ok := transitions[action]
	if !ok {
		return "", Errorf(EInvalid, "未知操作：%s", action)
	}
	for _, s := range t.from {
		if s == from {
			if t.to == "" {
				return from, nil
			}
			return t.to, nil
		}
	}
	return "", Errorf(EConflict, "隐患当前为“%s”，不能%s%s", StateName(from), ActionName(action), whenAllowed(action))
}

func whenAllowed(a Action) string {
	switch a {
	case ActSubmit, ActAccept:
		return "（只有整改中的隐患可以）"
	case ActPass, ActReject:
		return "（只有待复查的隐患可以复查）"
	case ActWithdraw, ActRequestExtend, ActApproveExtend:
		return "（只有待交办或整改中的隐患可以）"
	case ActAssign:
		return "（只有待核实、待交办或整改中的隐患可以交办）"
	case ActDismiss:
		return "（只有待核实的群众举报可以核实办结）"
	case ActList:
		return "（已销号或已撤销的隐患不能挂牌）"
	}
	return ""
}

// Permit checks that actor may take action on a hazard in the given units.
// scoped reports whether the hazard lies in the actor's unit subtree;
// responsible reports whether the actor belongs to the hazard's responsible
// unit (or above it). The error's message says which role is needed.
func Permit(a *Actor, action Action, scoped, responsible bool) error {
	need := func(role Role, msg string) error {
		if !a.Has(role) {
			return Errorf(EForbidden, "%s", msg)
		}
		return nil
	}
	var err error
	switch action {
	case ActReport, ActSupplement:
		// Anyone who may report may add to a hazard they found again.
		return nil
	case ActAssign:
		err = need(RoleSupervisor, "只有督办员可以交办隐患")
	case ActList:
		err = need(RoleSupervisor, "只有督办员可以挂牌督办")
	case ActPass, ActReject:
		err = need(RoleSupervisor, "只有复查人员（督办员）可以复查销号")
	case ActApproveExtend:
		err = need(RoleSupervisor, "只有督办员可以批准延期")
	case ActWithdraw:
		err = need(RoleSupervisor, "只有督办员可以撤销隐患")
	case ActDismiss:
		err = need(RoleSupervisor, "只有督办员可以核实群众举报")
	case ActImport:
		err = need(RoleAdmin, "只有管理员可以导入台账")
	case ActAccept, ActSubmit, ActRequestExtend:
		// The responsible unit's contacts act on their own hazards; a
		// supervisor in scope may act for a unit that cannot.
		if a.Has(RoleSupervisor) && scoped {
			return nil
		}
		if !a.Has(RoleContact) {
			return Errorf(EForbidden, "只有责任单位联系人可以%s", ActionName(action))
		}
		if !responsible {
			return Errorf(EForbidden, "这条隐患不是交办给你单位的，不能%s", ActionName(action))
		}
		return nil
	default:
		return Errorf(EInvalid, "未知操作：%s", action)
	}
	if err != nil {
		return err
	}
	if !scoped {
		return Errorf(EForbidden, "这条隐患不在你单位（%s）的管辖范围内", a.Unit.ShortName())
	}
	return nil
}
