package ledger

import (
	"fmt"
	"log/slog"
	"strings"
)

// badgerLogger routes Badger's printf-style logs to slog. Badger's info and
// debug chatter goes to debug level.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error(msg(f, a), "component", "badger") }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn(msg(f, a), "component", "badger") }
func (b badgerLogger) Infof(f string, a ...any)    { b.l.Debug(msg(f, a), "component", "badger") }
func (b badgerLogger) Debugf(f string, a ...any)   { b.l.Debug(msg(f, a), "component", "badger") }

func msg(f string, a []any) string { return strings.TrimSpace(fmt.Sprintf(f, a...)) }
