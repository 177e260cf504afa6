package sentinelproto

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// COMMAND DOCS data. commanddocs.json holds one entry per command and
// subcommand of the command table, keyed by full name ("sentinel|set").
// Entries of commands redis-sentinel 7.0.15 has were taken from its
// COMMAND DOCS reply (TestCommandDocsLive -update-docs regenerates them and
// compares them with a running redis-sentinel); client|setinfo, which 7.0
// lacks, follows Redis 7.2's src/commands/client-setinfo.json.
//
//go:embed commanddocs.json
var commandDocsJSON []byte

// cmdDoc is what COMMAND DOCS tells about one command, in the order Redis's
// addReplyCommandDocs writes the fields (subcommands come from the table).
type cmdDoc struct {
	Summary         string      `json:"summary"`
	Since           string      `json:"since"`
	Group           string      `json:"group"`
	Complexity      string      `json:"complexity,omitempty"`
	DocFlags        []string    `json:"doc_flags,omitempty"`
	DeprecatedSince string      `json:"deprecated_since,omitempty"`
	ReplacedBy      string      `json:"replaced_by,omitempty"`
	History         [][2]string `json:"history,omitempty"`
	Arguments       []argDoc    `json:"arguments,omitempty"`
}

// argDoc is one argument, in addReplyCommandArgList's field order. Sentinel
// commands have no keys, so key_spec_index never appears.
type argDoc struct {
	Name            string   `json:"name"`
	Type            string   `json:"type"`
	Token           string   `json:"token,omitempty"`
	Summary         string   `json:"summary,omitempty"`
	Since           string   `json:"since,omitempty"`
	DeprecatedSince string   `json:"deprecated_since,omitempty"`
	Flags           []string `json:"flags,omitempty"`
	Arguments       []argDoc `json:"arguments,omitempty"`
}

// loadCommandDocs parses the embedded data and checks that every command of
// the table has an entry and every entry a command (a missing or stray entry
// panics at start-up, so any test catches it).
func loadCommandDocs(all []*command) map[string]*cmdDoc {
	docs := map[string]*cmdDoc{}
	if err := json.Unmarshal(commandDocsJSON, &docs); err != nil {
		panic("sentinelproto: commanddocs.json: " + err.Error())
	}
	for _, c := range all {
		d := docs[c.name]
		if d == nil || d.Summary == "" || d.Since == "" || d.Group == "" {
			panic("sentinelproto: commanddocs.json lacks summary, since or group of " + c.name)
		}
		c.doc = d
	}
	if len(docs) != len(all) {
		panic(fmt.Sprintf("sentinelproto: commanddocs.json has %d entries for %d commands", len(docs), len(all)))
	}
	return docs
}

// commandDocs writes c's COMMAND DOCS map like Redis's addReplyCommandDocs.
func (r *reply) commandDocs(c *command) {
	d := c.doc
	r.mapLen(3 + count(d.Complexity != "", len(d.DocFlags) > 0, d.DeprecatedSince != "",
		d.ReplacedBy != "", len(d.History) > 0, len(d.Arguments) > 0, len(c.subs) > 0))
	r.bulk("summary")
	r.bulk(d.Summary)
	r.bulk("since")
	r.bulk(d.Since)
	r.bulk("group")
	r.bulk(d.Group)
	if d.Complexity != "" {
		r.bulk("complexity")
		r.bulk(d.Complexity)
	}
	if len(d.DocFlags) > 0 {
		r.bulk("doc_flags")
		r.simpleSet(d.DocFlags)
	}
	if d.DeprecatedSince != "" {
		r.bulk("deprecated_since")
		r.bulk(d.DeprecatedSince)
	}
	if d.ReplacedBy != "" {
		r.bulk("replaced_by")
		r.bulk(d.ReplacedBy)
	}
	if len(d.History) > 0 {
		r.bulk("history")
		r.setLen(len(d.History))
		for _, h := range d.History {
			r.array(2)
			r.bulk(h[0])
			r.bulk(h[1])
		}
	}
	if len(d.Arguments) > 0 {
		r.bulk("arguments")
		r.argDocs(d.Arguments)
	}
	if len(c.subs) > 0 {
		r.bulk("subcommands")
		r.mapLen(len(c.subs))
		for _, sc := range c.subs {
			r.bulk(sc.name)
			r.commandDocs(sc)
		}
	}
}

// argDocs writes an argument list like Redis's addReplyCommandArgList.
func (r *reply) argDocs(args []argDoc) {
	r.array(len(args))
	for _, a := range args {
		nested := a.Type == "oneof" || a.Type == "block"
		r.mapLen(2 + count(a.Token != "", a.Summary != "", a.Since != "", a.DeprecatedSince != "",
			len(a.Flags) > 0, nested))
		r.bulk("name")
		r.bulk(a.Name)
		r.bulk("type")
		r.bulk(a.Type)
		for _, kv := range [][2]string{{"token", a.Token}, {"summary", a.Summary}, {"since", a.Since},
			{"deprecated_since", a.DeprecatedSince}} {
			if kv[1] != "" {
				r.bulk(kv[0])
				r.bulk(kv[1])
			}
		}
		if len(a.Flags) > 0 {
			r.bulk("flags")
			r.simpleSet(a.Flags)
		}
		if nested {
			r.bulk("arguments")
			r.argDocs(a.Arguments)
		}
	}
}

// count is how many of the fields are present (a map's length).
func count(present ...bool) int {
	n := 0
	for _, p := range present {
		if p {
			n++
		}
	}
	return n
}

// simpleSet writes a set of status strings (doc and argument flags).
func (r *reply) simpleSet(items []string) {
	r.setLen(len(items))
	for _, s := range items {
		r.simple(s)
	}
}
