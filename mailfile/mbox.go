package mailfile

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Mbox reads an mbox file. A message starts at a From_ line (see
// fromLine); the empty line before it, if any, is the separator, not part
// of the message before. Lines matching ^>+From  lose one ">" (mboxrd; in mboxo only
// ">From " was quoted, and reads the same). Line ends are kept as they are
// (CRLF or LF), so a message exported by Apartado comes back byte for
// byte. A message over max bytes is skipped with a *TooLargeError passed
// to skipped, and reading goes on.
func Mbox(r io.Reader, max int64, skipped func(error)) Source {
	return func(yield func(Message) error) error {
		br := bufio.NewReaderSize(r, 64<<10)
		var msg []byte
		n, started, prevBlank, tooLarge := 0, false, true, false
		flush := func() error {
			if !started {
				return nil
			}
			where := "message " + strconv.Itoa(n)
			if tooLarge {
				skipped(&TooLargeError{Where: where, Size: max})
				return nil
			}
			raw := trimSeparator(msg)
			m := Message{Raw: raw, Where: where}
			headerFlags(raw, &m)
			return yield(m)
		}
		for {
			line, err := readLine(br)
			if len(line) > 0 {
				if fromLine(line, prevBlank || !started) {
					if err := flush(); err != nil {
						return err
					}
					n++
					started, msg, tooLarge = true, msg[:0], false
					prevBlank = false
					continue
				}
				if !started {
					if !isBlank(line) {
						return ErrNotMbox
					}
				} else if !tooLarge {
					if q := bytes.TrimLeft(line, ">"); len(q) < len(line) && bytes.HasPrefix(q, []byte("From ")) {
						line = line[1:]
					}
					if int64(len(msg)+len(line)) > max {
						tooLarge, msg = true, nil
					} else {
						msg = append(msg, line...)
					}
				}
				prevBlank = isBlank(line)
			}
			if errors.Is(err, io.EOF) {
				if !started {
					return ErrNotMbox
				}
				return flush()
			}
			if err != nil {
				return err
			}
		}
	}
}

// fromLine says whether line starts a message. Writers disagree: mboxrd
// and mboxo put an empty line before each From_ line and quote "From " in
// bodies, older Thunderbird left "From " in bodies unquoted, Netscape wrote
// "From - DATE" right after the last line of the message before. So a line
// beginning "From " starts a message when it follows an empty line (or
// opens the file) and looks like a From_ line at all ("From " alone,
// "From - …", an address or MAILER-DAEMON, or a time of day) — which
// "From time to time" in a body does not — or, with no empty line before
// it, when it looks like one for certain: "From -" or an address with a
// time of day.
func fromLine(line []byte, afterBlank bool) bool {
	if !bytes.HasPrefix(line, []byte("From ")) {
		return false
	}
	rest := string(bytes.TrimRight(line[5:], "\r\n \t"))
	dash := rest == "-" || strings.HasPrefix(rest, "- ")
	first, _, _ := strings.Cut(rest, " ")
	sender := strings.Contains(first, "@") || first == "MAILER-DAEMON"
	timed := timeOfDay.MatchString(rest)
	if afterBlank {
		return rest == "" || dash || sender || timed
	}
	return dash || sender && timed
}

// timeOfDay is the hh:mm:ss of a From_ line's asctime date.
var timeOfDay = regexp.MustCompile(`(^| )\d{1,2}:\d{2}:\d{2}( |$)`)

// readLine reads one line with its end, however long.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	long := append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = br.ReadSlice('\n')
		long = append(long, line...)
	}
	return long, err
}

func isBlank(line []byte) bool {
	return len(line) == 1 && line[0] == '\n' || len(line) == 2 && line[0] == '\r' && line[1] == '\n'
}

// trimSeparator removes the empty line that ends a message in an mbox
// file (the separator before the next From_ line, or at the file's end).
func trimSeparator(msg []byte) []byte {
	switch {
	case bytes.HasSuffix(msg, []byte("\n\n")):
		return msg[:len(msg)-1]
	case bytes.HasSuffix(msg, []byte("\r\n\r\n")):
		return msg[:len(msg)-2]
	case bytes.HasSuffix(msg, []byte("\r\n\n")):
		return msg[:len(msg)-1]
	}
	return msg
}
