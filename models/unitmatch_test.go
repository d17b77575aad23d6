package models_test

import (
	"testing"

	"hazardbot/config"
	"hazardbot/models"
	"hazardbot/models/modelstest"
)

// TestUnitNamesAsOfficesWriteThem: the names people type for units of the
// directory find them; names of units it does not have find nothing (and
// are created unverified under the county, kind guessed from the name).
func TestUnitNamesAsOfficesWriteThem(t *testing.T) {
	modelstest.ForEachDB(t, func(t *testing.T, s *models.Store) {
		if _, err := s.ImportDirectoryFile(ctx, config.ShiyanDirectory); err != nil {
			t.Fatal(err)
		}
		err := s.InTx(ctx, func(tx *models.Tx) error {
			maojian, _ := tx.FindUnitByCode("maojian")
			for words, want := range map[string]string{
				"市非煤矿山安全专委会":        "zwh_mine",
				"市非煤矿山安全专业委员会":      "zwh_mine",
				"非煤矿山安全专委会":         "zwh_mine",
				"郧阳区安委会":            "yunyang",
				"郧阳区":               "yunyang",
				"郧阳":                "yunyang",
				"郧阳区安委办":            "yunyang",
				"郧阳区安全生产委员会":        "yunyang",
				"丹江口市":              "danjiangkou",
				"房县":                "fangxian",
				"武当山特区":             "wudangshan",
				"十堰经开区":             "kaifaqu",
				"十堰经济技术开发区":         "kaifaqu",
				"十堰市某燃气有限公司":        "demo_gas",
				"十堰市某燃气有限公司（示例）":    "demo_gas",
				"十堰市某燃气有限公司(示例)":    "demo_gas",
				" 十堰市某燃气有限公司 （示例） ": "demo_gas",
				"ｍａｏｊｉａｎ_ｙｊｊ":       "maojian_yjj",
				// A county's department as officers say it: the county
				// with or without 区, the department in its short form.
				"茅箭区应急局":  "maojian_yjj",
				"茅箭应急局":   "maojian_yjj",
				"茅箭应急管理局": "maojian_yjj",
				"茅箭区住建局":  "maojian_zjj",
				"茅箭住建局":   "maojian_zjj",
				"张湾应急局":   "zhangwan_yjj",
				// The city's own name before a county's, as a county
				// column of a hand-kept ledger often has it.
				"十堰市茅箭区":      "maojian",
				"十堰市茅箭区安委会":   "maojian",
				"十堰茅箭区":       "maojian",
				"十堰市安委会茅箭区":   "maojian",
				"十堰市丹江口市":     "danjiangkou",
				"十堰市茅箭区应急管理局": "maojian_yjj",
				"十堰市 茅箭区 住建局": "maojian_zjj",
			} {
				u, err := tx.FindUnitName(words, maojian)
				if err != nil {
					return err
				}
				if u == nil || u.Code != want {
					t.Errorf("FindUnitName(%q) = %+v, want %s", words, u, want)
				}
			}
			// 十堰市应急管理局 is the city's own department, not every
			// county's 应急管理局: the city's name stays when no county follows.
			for _, words := range []string{"郧阳区应急管理局", "竹山县消防救援大队", "房县交通运输局", "人民南路饭店", "十堰市应急管理局"} {
				if u, err := tx.FindUnitName(words, maojian); err != nil || u != nil {
					t.Errorf("FindUnitName(%q) = %+v, %v; want no unit", words, u, err)
				}
			}
			// Within the hazard's county the one 应急管理局 there is taken.
			if u, err := tx.FindUnitName("应急管理局", maojian); err != nil || u == nil || u.Code != "maojian_yjj" {
				t.Errorf("应急管理局 in 茅箭区 = %+v, %v", u, err)
			}
			if _, err := tx.FindUnitName("应急管理局", nil); models.ErrorCode(err) != models.EInvalid {
				t.Errorf("应急管理局 city-wide: %v, want ambiguous", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestGuessUnitKind(t *testing.T) {
	for name, want := range map[string]models.UnitKind{
		"人民南路饭店": models.KindEnterprise, "十堰某建设有限公司": models.KindEnterprise, "某某加油站": models.KindEnterprise,
		"某项目部": models.KindEnterprise, "锦绣小区": models.KindEnterprise, "郧阳区应急管理局": models.KindDepartment,
		"竹山县消防救援大队": models.KindDepartment, "城关镇": models.KindTown, "五堰街道": models.KindTown,
		"某某派出所": models.KindDepartment, "房县政务服务中心": models.KindDepartment,
	} {
		if got := models.GuessUnitKind(name); got != want {
			t.Errorf("GuessUnitKind(%q) = %s, want %s", name, got, want)
		}
	}
}
