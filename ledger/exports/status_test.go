package exports

import "testing"

func TestCanTransition(t *testing.T) {
	statuses := []string{"", StatusPending, StatusRunning, StatusSucceeded, StatusFailed, StatusCanceled, "unknown"}
	allowed := map[[2]string]bool{
		{"", StatusPending}: true, {"", StatusRunning}: true,
		{"", StatusSucceeded}: true, {"", StatusFailed}: true, {"", StatusCanceled}: true,
		{StatusPending, StatusRunning}:   true,
		{StatusPending, StatusSucceeded}: true,
		{StatusPending, StatusFailed}:    true,
		{StatusPending, StatusCanceled}:  true,
		{StatusRunning, StatusSucceeded}: true,
		{StatusRunning, StatusFailed}:    true,
		{StatusRunning, StatusCanceled}:  true,
	}
	for _, from := range statuses {
		for _, to := range statuses {
			t.Run(from+"->"+to, func(t *testing.T) {
				want := allowed[[2]string{from, to}]
				if got := CanTransition(from, to); got != want {
					t.Fatalf("CanTransition(%q, %q) = %v, want %v", from, to, got, want)
				}
			})
		}
	}
}

func TestIsTerminal(t *testing.T) {
	tests := map[string]bool{
		StatusPending: false, StatusRunning: false, "": false, "done": false,
		StatusSucceeded: true, StatusFailed: true, StatusCanceled: true,
	}
	for status, want := range tests {
		t.Run(status, func(t *testing.T) {
			if got := IsTerminal(status); got != want {
				t.Fatalf("IsTerminal(%q) = %v, want %v", status, got, want)
			}
		})
	}
}
