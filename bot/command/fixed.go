package command

import "strings"

// fixedYes and fixedNo are the answers to 当场整改.
var (
	fixedYes = []string{"已当场整改", "当场整改", "已整改", "是的", "已经", "是", "已", "对"}
	fixedNo  = map[string]bool{"否": true, "不是": true, "没有": true, "无": true, "未": true, "未整改": true, "no": true, "n": true}
)

// ParseFixed reads the answer to 当场整改 (立查立改): "是", "否", "是，已清理通道"
// or just what was done ("已清理通道"). fixed says whether the hazard was
// fixed on the spot; done is what was done, "" when the answer did not say.
func ParseFixed(v string) (fixed bool, done string) {
	s := strings.TrimSpace(cleanText(v))
	n := strings.ToLower(narrowText(s)) // rune for rune as typed
	switch k := trimEndPunct(n); {
	case fixedNo[k]:
		return false, ""
	case k == "yes" || k == "y" || k == "ok":
		return true, ""
	}
	for _, w := range fixedYes {
		if strings.HasPrefix(n, w) {
			rest := strings.TrimSpace(typedSuffix(s, n[len(w):]))
			rest = strings.TrimLeft(rest, "，,：:、。 ")
			if rest == "" {
				return true, ""
			}
			if w == "已" || w == "已经" {
				return true, s // "已清理通道": the answer is what was done
			}
			return true, rest
		}
	}
	return true, s
}
