package command

import "testing"

func TestParseFixed(t *testing.T) {
	tests := []struct {
		in    string
		fixed bool
		done  string
	}{
		{"是", true, ""},
		{"是，已清理消防通道", true, "已清理消防通道"},
		{"是：已清理", true, "已清理"},
		{"已当场整改，更换了软管", true, "更换了软管"},
		{"已清理消防通道", true, "已清理消防通道"},
		{"更换了3具灭火器", true, "更换了3具灭火器"},
		{"否", false, ""},
		{"没有。", false, ""},
		{"YES", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			fixed, done := ParseFixed(tc.in)
			if fixed != tc.fixed || done != tc.done {
				t.Fatalf("ParseFixed(%q) = %v, %q; want %v, %q", tc.in, fixed, done, tc.fixed, tc.done)
			}
		})
	}
}
