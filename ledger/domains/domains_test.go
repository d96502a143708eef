package domains

import (
	"testing"
)

// TestModulesAgree checks that the registered modules give each slug one
// kind and one title, and each sentinel one slug, across modules, so a
// client reading a problem type knows what it means.
func TestModulesAgree(t *testing.T) {
	type meaning struct{ kind, title string }
	slugs := map[string]meaning{}
	sentinels := map[error]string{}
	for _, m := range Modules() {
		if m.Name == "" || len(m.Appliers) == 0 || len(m.Errors) == 0 {
			t.Errorf("module %q has no name, Appliers or errors", m.Name)
		}
		for _, s := range m.Errors {
			if s.Err == nil || s.Slug == "" || s.Kind == 0 {
				t.Fatalf("module %s: incomplete spec %+v", m.Name, s)
			}
			got := meaning{s.Kind.String(), s.Title}
			if prev, ok := slugs[s.Slug]; ok && prev != got {
				t.Errorf("slug %q means %v and %v", s.Slug, prev, got)
			}
			slugs[s.Slug] = got
			if prev, ok := sentinels[s.Err]; ok && prev != s.Slug {
				t.Errorf("sentinel %v has slugs %q and %q", s.Err, prev, s.Slug)
			}
			sentinels[s.Err] = s.Slug
		}
	}
}
