package sentinelproto

import "github.com/raftinel/raftinel/resp"

// CLIENT TRACKING and friends. Sentinel has no keys, so nothing is ever
// invalidated, but clients such as rueidis refuse to connect unless
// `CLIENT TRACKING ON OPTIN` answers +OK, so the flags are validated, kept
// and reported with Redis's texts.

// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
func cmdClientTracking(x *cmdCtx) {
	var t resp.Tracking
	redirSet := false
	for j := 3; j < len(x.args); j++ {
		more := len(x.args) - 1 - j
		switch {
		case x.argIs(j, "redirect") && more > 0:
			j++
			if redirSet {
				x.r.err("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := parseLong(x.args[j])
			if !ok {
				x.r.err(errTextNotInteger)
				return
			}
			if id <= 0 || x.s.rs.Client(uint64(id)) == nil {
				x.r.err("ERR The client ID you want redirect to does not exist")
				return
			}
			t.Redirect, redirSet = id, true
		case x.argIs(j, "bcast"):
			t.BCast = true
		case x.argIs(j, "optin"):
			t.OptIn = true
		case x.argIs(j, "optout"):
			t.OptOut = true
		case x.argIs(j, "noloop"):
			t.NoLoop = true
		case x.argIs(j, "prefix") && more > 0:
			j++
			t.Prefixes = append(t.Prefixes, x.arg(j))
		default:
			x.r.err(errTextSyntax)
			return
		}
	}
	var errText string
	x.c.UpdateSession(func(sess *resp.Session) { errText = setTracking(x, sess, t) })
	if errText != "" {
		x.r.err(errText)
		return
	}
	x.r.ok()
}

// setTracking applies CLIENT TRACKING ON|OFF with the new flags t to the
// session; it returns the error text of a refusal.
func setTracking(x *cmdCtx, sess *resp.Session, t resp.Tracking) string {
	cur := sess.Tracking
	switch {
	case x.argIs(2, "on"):
		if len(t.Prefixes) > 0 && !t.BCast {
			return "ERR PREFIX option requires BCAST mode to be enabled"
		}
		if cur.On && cur.BCast != t.BCast {
			return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
		}
		if t.OptIn && t.OptOut {
			return "ERR You can't specify both OPTIN mode and OPTOUT mode"
		}
		if (t.OptIn && cur.OptOut) || (t.OptOut && cur.OptIn) {
			return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
		}
		if (t.OptIn || t.OptOut) && t.BCast {
			return "ERR OPTIN and OPTOUT are not compatible with BCAST"
		}
		if t.BCast && len(t.Prefixes) == 0 {
			t.Prefixes = []string{""}
		}
		t.On = true
		sess.Tracking = t
	case x.argIs(2, "off"):
		sess.Tracking = resp.Tracking{}
	default:
		return errTextSyntax
	}
	return ""
}

// CLIENT TRACKINGINFO
func cmdClientTrackingInfo(x *cmdCtx) {
	t := x.c.Session().Tracking
	var flags []string
	redir := int64(-1)
	if !t.On {
		flags = []string{"off"}
	} else {
		flags = []string{"on"}
		redir = t.Redirect
		for _, f := range []struct {
			on   bool
			name string
		}{{t.BCast, "bcast"}, {t.OptIn, "optin"}, {t.OptOut, "optout"}, {t.NoLoop, "noloop"}} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
	}
	x.r.mapLen(3)
	x.r.bulk("flags")
	x.r.setLen(len(flags))
	for _, f := range flags {
		x.r.bulk(f)
	}
	x.r.bulk("redirect")
	x.r.int(redir)
	x.r.bulk("prefixes")
	x.r.bulks(t.Prefixes)
}

// CLIENT CACHING YES|NO
func cmdClientCaching(x *cmdCtx) {
	t := x.c.Session().Tracking
	switch {
	case !t.On || (!t.OptIn && !t.OptOut):
		x.r.err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
	case x.argIs(2, "yes"):
		if !t.OptIn {
			x.r.err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
		x.r.ok()
	case x.argIs(2, "no"):
		if !t.OptOut {
			x.r.err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
		x.r.ok()
	default:
		x.r.err(errTextSyntax)
	}
}

// CLIENT GETREDIR
func cmdClientGetRedir(x *cmdCtx) {
	t := x.c.Session().Tracking
	if !t.On {
		x.r.int(-1)
		return
	}
	x.r.int(t.Redirect)
}
