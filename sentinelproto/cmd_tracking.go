package sentinelproto

// CLIENT TRACKING and friends. Sentinel has no keys, so nothing is ever
// invalidated, but clients such as rueidis refuse to connect unless
// `CLIENT TRACKING ON OPTIN` answers +OK, so the flags are validated, kept
// and reported with Redis's texts.

// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
func cmdClientTracking(x *cmdCtx) {
	var t tracking
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
			if id <= 0 || x.s.clientByID(uint64(id)) == nil {
				x.r.err("ERR The client ID you want redirect to does not exist")
				return
			}
			t.redirect, redirSet = id, true
		case x.argIs(j, "bcast"):
			t.bcast = true
		case x.argIs(j, "optin"):
			t.optin = true
		case x.argIs(j, "optout"):
			t.optout = true
		case x.argIs(j, "noloop"):
			t.noloop = true
		case x.argIs(j, "prefix") && more > 0:
			j++
			t.prefixes = append(t.prefixes, x.arg(j))
		default:
			x.r.err(errTextSyntax)
			return
		}
	}
	c := x.c
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case x.argIs(2, "on"):
		if len(t.prefixes) > 0 && !t.bcast {
			x.r.err("ERR PREFIX option requires BCAST mode to be enabled")
			return
		}
		if c.track.on && c.track.bcast != t.bcast {
			x.r.err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if t.optin && t.optout {
			x.r.err("ERR You can't specify both OPTIN mode and OPTOUT mode")
			return
		}
		if (t.optin && c.track.optout) || (t.optout && c.track.optin) {
			x.r.err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if (t.optin || t.optout) && t.bcast {
			x.r.err("ERR OPTIN and OPTOUT are not compatible with BCAST")
			return
		}
		if t.bcast && len(t.prefixes) == 0 {
			t.prefixes = []string{""}
		}
		t.on = true
		c.track = t
	case x.argIs(2, "off"):
		c.track = tracking{}
	default:
		x.r.err(errTextSyntax)
		return
	}
	x.r.ok()
}

// CLIENT TRACKINGINFO
func cmdClientTrackingInfo(x *cmdCtx) {
	c := x.c
	c.mu.Lock()
	t := c.track
	c.mu.Unlock()
	var flags []string
	redir := int64(-1)
	if !t.on {
		flags = []string{"off"}
	} else {
		flags = []string{"on"}
		redir = t.redirect
		for _, f := range []struct {
			on   bool
			name string
		}{{t.bcast, "bcast"}, {t.optin, "optin"}, {t.optout, "optout"}, {t.noloop, "noloop"}} {
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
	x.r.bulks(t.prefixes)
}

// CLIENT CACHING YES|NO
func cmdClientCaching(x *cmdCtx) {
	c := x.c
	c.mu.Lock()
	t := c.track
	c.mu.Unlock()
	switch {
	case !t.on || (!t.optin && !t.optout):
		x.r.err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
	case x.argIs(2, "yes"):
		if !t.optin {
			x.r.err("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
		x.r.ok()
	case x.argIs(2, "no"):
		if !t.optout {
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
	x.c.mu.Lock()
	t := x.c.track
	x.c.mu.Unlock()
	if !t.on {
		x.r.int(-1)
		return
	}
	x.r.int(t.redirect)
}
