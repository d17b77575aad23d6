package models

import "testing"

func TestNext(t *testing.T) {
	cases := []struct {
		name   string
		from   State
		action Action
		to     State
		code   string
	}{
		{"assign a new report", StateReported, ActAssign, StateRectifying, ""},
		{"reassign while rectifying", StateRectifying, ActAssign, StateRectifying, ""},
		{"submit rectification", StateRectifying, ActSubmit, StatePendingReview, ""},
		{"pass review closes out", StatePendingReview, ActPass, StateClosed, ""},
		{"reject sends back", StatePendingReview, ActReject, StateRectifying, ""},
		{"withdraw a report", StateReported, ActWithdraw, StateWithdrawn, ""},
		{"withdraw while rectifying", StateRectifying, ActWithdraw, StateWithdrawn, ""},
		{"list keeps the state", StatePendingReview, ActList, StatePendingReview, ""},
		{"accept keeps the state", StateRectifying, ActAccept, StateRectifying, ""},
		{"cannot submit a report not yet assigned", StateReported, ActSubmit, "", EConflict},
		{"cannot close twice", StateClosed, ActPass, "", EConflict},
		{"cannot withdraw a closed hazard", StateClosed, ActWithdraw, "", EConflict},
		{"cannot withdraw pending review", StatePendingReview, ActWithdraw, "", EConflict},
		{"cannot list a withdrawn hazard", StateWithdrawn, ActList, "", EConflict},
		{"cannot extend a closed hazard", StateClosed, ActRequestExtend, "", EConflict},
		{"cannot review while rectifying", StateRectifying, ActPass, "", EConflict},
		{"assign a verified tip", StateUnverified, ActAssign, StateRectifying, ""},
		{"dismiss a tip", StateUnverified, ActDismiss, StateWithdrawn, ""},
		{"withdraw a tip", StateUnverified, ActWithdraw, StateWithdrawn, ""},
		{"cannot dismiss a report", StateReported, ActDismiss, "", EConflict},
		{"cannot dismiss an assigned tip", StateRectifying, ActDismiss, "", EConflict},
		{"cannot submit an unverified tip", StateUnverified, ActSubmit, "", EConflict},
		{"cannot list an unverified tip", StateUnverified, ActList, "", EConflict},
		{"cannot extend an unverified tip", StateUnverified, ActRequestExtend, "", EConflict},
		{"unknown action", StateReported, Action("fly"), "", EInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Next(c.from, c.action)
			if ErrorCode(err) != c.code && !(c.code == "" && err == nil) {
				t.Fatalf("Next(%s, %s) err = %v, want code %q", c.from, c.action, err, c.code)
			}
			if got != c.to {
				t.Fatalf("Next(%s, %s) = %q, want %q", c.from, c.action, got, c.to)
			}
		})
	}
}

func TestPermit(t *testing.T) {
	city := &Unit{ID: 1, Path: "/1/"}
	county := &Unit{ID: 2, Path: "/1/2/", ParentID: &city.ID, Name: "茅箭区安委会"}
	sup := &Actor{UserID: "w", Roles: "supervisor", Unit: county}
	contact := &Actor{UserID: "l", Roles: "contact", Unit: county}
	inspector := &Actor{UserID: "z", Roles: "inspector", Unit: county}
	admin := &Actor{UserID: "a", Roles: "admin", Unit: city}
	stranger := &Actor{UserID: "x"}
	cases := []struct {
		name                string
		a                   *Actor
		action              Action
		scoped, responsible bool
		ok                  bool
		msg                 string
	}{
		{"anyone may report", stranger, ActReport, false, false, true, ""},
		{"supervisor closes in scope", sup, ActPass, true, false, true, ""},
		{"supervisor cannot close out of scope", sup, ActPass, false, false, false, "这条隐患不在你单位（茅箭区）的管辖范围内"},
		{"inspector cannot close", inspector, ActPass, true, false, false, "只有复查人员（督办员）可以复查销号"},
		{"contact cannot assign", contact, ActAssign, true, true, false, "只有督办员可以交办隐患"},
		{"contact submits own", contact, ActSubmit, true, true, true, ""},
		{"contact cannot submit another unit's", contact, ActSubmit, true, false, false, "这条隐患不是交办给你单位的，不能提交整改"},
		{"inspector cannot submit", inspector, ActSubmit, true, true, false, "只有责任单位联系人可以提交整改"},
		{"supervisor may submit for a unit in scope", sup, ActSubmit, true, false, true, ""},
		{"admin has every role", admin, ActWithdraw, true, false, true, ""},
		{"stranger cannot withdraw", stranger, ActWithdraw, false, false, false, "只有督办员可以撤销隐患"},
		{"supervisor dismisses a tip in scope", sup, ActDismiss, true, false, true, ""},
		{"supervisor cannot dismiss out of scope", sup, ActDismiss, false, false, false, "这条隐患不在你单位（茅箭区）的管辖范围内"},
		{"contact cannot dismiss a tip", contact, ActDismiss, true, true, false, "只有督办员可以核实群众举报"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Permit(c.a, c.action, c.scoped, c.responsible)
			if (err == nil) != c.ok {
				t.Fatalf("Permit = %v, want ok=%v", err, c.ok)
			}
			if err != nil {
				if ErrorCode(err) != EForbidden || ErrorMessage(err) != c.msg {
					t.Fatalf("Permit = %v, want forbidden %q", err, c.msg)
				}
			}
		})
	}
}

func TestOverdueIsDerived(t *testing.T) {
	h := &Hazard{State: StateRectifying, Deadline: NewDate(2023, 3, 15)}
	cases := []struct {
		name  string
		state State
		today Date
		want  int
	}{
		{"on the deadline day it is not overdue", StateRectifying, NewDate(2023, 3, 15), 0},
		{"the day after it is one day overdue", StateRectifying, NewDate(2023, 3, 16), 1},
		{"a report not yet assigned can be overdue", StateReported, NewDate(2023, 3, 25), 10},
		{"pending review is never overdue", StatePendingReview, NewDate(2023, 4, 1), 0},
		{"closed is never overdue", StateClosed, NewDate(2023, 4, 1), 0},
		{"an unverified tip is never overdue", StateUnverified, NewDate(2023, 4, 1), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.State = c.state
			if got := h.OverdueDays(c.today); got != c.want {
				t.Fatalf("OverdueDays = %d, want %d", got, c.want)
			}
			if h.Overdue(c.today) != (c.want > 0) {
				t.Fatalf("Overdue disagrees with OverdueDays")
			}
		})
	}
}
