package httpapi

import "time"

// TokenRecheck is tokenRecheck, for the tests in package httpapi_test.
const TokenRecheck = tokenRecheck

// SetTokensClock replaces the clock of t, for the tests in package
// httpapi_test. Call it before t is used.
func SetTokensClock(t *Tokens, now func() time.Time) { t.now = now }
