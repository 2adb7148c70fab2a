package diff

import "encoding/json"

// MarshalJSON writes c as `ajar diff -o json` writes each change (host,
// hostname, proto, port, change, before, after, ...), for callers that
// send changes one by one (ajar watch).
func (c Change) MarshalJSON() ([]byte, error) { return json.Marshal(toJSON(&c)) }

// String is c as the text diff writes it, for people.
func (c Change) String() string { return textLine(&c) }
