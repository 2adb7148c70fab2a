package vulndb

import (
	"strings"
)

// CompareVersions orders two upstream version strings as software
// vendors number their releases, and returns -1, 0 or +1. It is not
// semantic versioning: OpenSSH's 8.9p1 follows 8.9 and 7.2p10 follows
// 7.2p2, OpenSSL's 1.1.1g follows 1.1.1, 2.4.46 follows 2.4.5, and 1.0rc1
// precedes 1.0.
//
// A version is read as a sequence of tokens: runs of digits (numbers) and
// runs of letters (words); every other character only separates them, and
// case does not matter. Tokens are compared one position at a time, the
// shorter version padded with an end token. At one position, from lowest
// to highest: pre-release words (dev < alpha < beta < pre, preview < rc),
// then the end token and the number 0 (equal: 1.0 equals 1.0.0), then other
// words in byte order (the p of 8.9p1, the g of 1.1.1g), then the numbers
// above 0 in numeric order. This is a total preorder: the order is
// antisymmetric and transitive for every pair of strings.
func CompareVersions(a, b string) int {
	ta, tb := trimV(a), trimV(b)
	for {
		ka, ra := nextToken(ta)
		kb, rb := nextToken(tb)
		if c := compareTokens(ka, kb); c != 0 {
			return c
		}
		if ra == "" && rb == "" && ka.kind == tokEnd && kb.kind == tokEnd {
			return 0
		}
		ta, tb = ra, rb
	}
}

// trimV drops a leading "v" before a digit ("v1.2").
func trimV(s string) string {
	if len(s) > 1 && (s[0] == 'v' || s[0] == 'V') && isDigit(s[1]) {
		return s[1:]
	}
	return s
}

type tokenKind uint8

// The token classes, in their order at one position.
const (
	tokPre  tokenKind = iota // a pre-release word: rank orders them
	tokEnd                   // end of the version, or the number 0
	tokWord                  // any other word
	tokNum                   // a number above 0
)

type token struct {
	kind tokenKind
	rank int    // tokPre: the word's rank
	text string // tokWord: lower-case letters; tokNum: digits without leading zeros
}

var preRanks = map[string]int{"dev": 0, "snapshot": 0, "alpha": 1, "beta": 2, "pre": 3, "preview": 3, "rc": 4}

// nextToken reads the first token of s and returns it with the rest.
func nextToken(s string) (token, string) {
	for len(s) > 0 && !isDigit(s[0]) && !isLetter(s[0]) {
		s = s[1:]
	}
	if s == "" {
		return token{kind: tokEnd}, ""
	}
	i := 0
	if isDigit(s[0]) {
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		n := strings.TrimLeft(s[:i], "0")
		if n == "" {
			return token{kind: tokEnd}, s[i:]
		}
		return token{kind: tokNum, text: n}, s[i:]
	}
	for i < len(s) && isLetter(s[i]) {
		i++
	}
	w := strings.ToLower(s[:i])
	if r, ok := preRanks[w]; ok {
		return token{kind: tokPre, rank: r}, s[i:]
	}
	return token{kind: tokWord, text: w}, s[i:]
}

func compareTokens(a, b token) int {
	if a.kind != b.kind {
		return cmpInt(int(a.kind), int(b.kind))
	}
	switch a.kind {
	case tokPre:
		return cmpInt(a.rank, b.rank)
	case tokWord:
		return strings.Compare(a.text, b.text)
	case tokNum:
		if len(a.text) != len(b.text) {
			return cmpInt(len(a.text), len(b.text))
		}
		return strings.Compare(a.text, b.text)
	}
	return 0
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
