package agreement

import "regexp"

func regexpReplace(b []byte, re, repl string) []byte {
	return regexp.MustCompile(re).ReplaceAll(b, []byte(repl))
}
