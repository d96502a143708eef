package exports

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzDecodeAppliedPlain checks that whatever decodeAppliedPlain reads
// from a valid JSON body, json.Unmarshal reads the same.
func FuzzDecodeAppliedPlain(f *testing.F) {
	for _, v := range loadVectors(f) {
		sub, canonical, err := Decode([]byte(v.Submitted))
		if err != nil {
			f.Fatal(err)
		}
		tl, err := NewTimeline(sub, canonical)
		if err != nil {
			f.Fatal(err)
		}
		body, _ := tl.Marshal()
		f.Add(body)
		prev := uint64(12)
		tl.PreviousStatus, tl.PreviousIndex, tl.PolicyIndex = StatusRunning, &prev, &prev
		body, _ = tl.Marshal()
		f.Add(body)
	}
	for _, body := range []string{`{}`, `{"runId":"a","runId":"b"}`, `{"RUNID":"a"}`, `{"previousIndex":-1}`, `{"previousIndex":1.5}`,
		`{"previousIndex":01}`, `{"previousIndex":null}`, `{"status":5}`, `{"signatures":[{"a":"]}"}],"status":"x"}`,
		`{"jobType":{"a":[1,{"b":"}"}]},"status":"x"}`, `{"previousIndex":18446744073709551616}`, ` {"status":"x"} `} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) {
			return // entry bodies are valid JSON
		}
		got, ok := decodeAppliedPlain(body)
		if !ok {
			return
		}
		var want applied
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("plain decoding accepted %s, json.Unmarshal: %v", body, err)
		}
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("%s:\nplain %+v\njson  %+v", body, *got, want)
		}
	})
}

// TestTimelineNames checks that timelineName numbers every member name of
// a timeline body distinctly, within the 64 bits decodeAppliedPlain keeps,
// and refuses others.
func TestTimelineNames(t *testing.T) {
	var names []string
	for _, f := range submissionFields {
		names = append(names, f.name)
	}
	names = append(names, "signatures")
	names = append(names, timelineOwnNames[:]...)
	seen := map[int]string{}
	for _, name := range names {
		n := timelineName([]byte(name))
		if n < 0 || n >= 64 || seen[n] != "" {
			t.Fatalf("%q is number %d (also %q)", name, n, seen[n])
		}
		seen[n] = name
	}
	for _, name := range []string{"", "Status", "timelines", "index", "type"} {
		if n := timelineName([]byte(name)); n >= 0 {
			t.Fatalf("%q is number %d", name, n)
		}
	}
}
