package truststore

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vouchdev/vouch/platform"
)

// System adapts the platform's system store to Store.
type System struct {
	Sys platform.System
	// Err is why there is no system store here; every call reports it.
	Err error
}

func (s *System) Name() string { return "system" }

func (s *System) Status(r Root) Status {
	st := Status{Store: "system"}
	if s.Err != nil {
		st.State, st.Reason = NotPresent, s.Err.Error()
		return st
	}
	ss, err := s.state(r)
	if err != nil {
		st.State, st.Reason = NotPresent, err.Error()
		if !errors.Is(err, platform.ErrNoLayout) {
			st.State = Failed
		}
		return st
	}
	st.Where = ss.Layout.Name
	st.Checked = ss.Checked
	st.Stale = ss.Stale
	if ss.Keychain != nil {
		trusted, reason := ss.Keychain.Verdict()
		st.State, st.Reason = NotTrusted, reason
		if trusted {
			st.State = Trusted
		}
		return st
	}
	switch {
	case ss.Anchor != "" && ss.InBundle:
		st.State, st.Reason = Trusted, fmt.Sprintf("anchored in %s and present in %s", ss.Anchor, ss.Layout.Bundle)
	case ss.InBundle && slices.ContainsFunc(ss.Others, func(p string) bool { return platform.MkcertAnchor(r.Cert, p) }):
		st.State, st.Reason, st.Mkcert = Trusted, fmt.Sprintf("present in %s through %s, which mkcert -install wrote, so only vouch uninstall --mkcert (or mkcert -uninstall) removes it", ss.Layout.Bundle, strings.Join(ss.Others, ", ")), true
	case ss.InBundle && len(ss.Others) > 0:
		st.State, st.Reason = Trusted, fmt.Sprintf("present in %s through %s, which vouch did not write, so %s will not remove it", ss.Layout.Bundle, strings.Join(ss.Others, ", "), r.takeOut())
	case orphaned(ss):
		// No file in the anchor folders holds it: an anchor went without
		// a refresh after it, and the next refresh (uninstall's, or
		// apt's) drops it.
		st.State, st.Fragile = Trusted, true
		st.Reason = fmt.Sprintf("present in %s only until it is next rebuilt: no anchor file holds it any more (one was removed without %s after it); %s puts the anchor back, %s refreshes the bundle", ss.Layout.Bundle, strings.Join(ss.Layout.Refresh, " "), r.putBack(), r.takeOut())
	case ss.InBundle:
		st.State, st.Reason = Trusted, fmt.Sprintf("present in %s, but not through vouch's anchor, so %s will not remove it", ss.Layout.Bundle, r.takeOut())
	case ss.Anchor != "":
		st.State, st.Reason = NotTrusted, fmt.Sprintf("anchor %s is there but %s lacks it: the bundle was not refreshed (%s)", ss.Anchor, ss.Layout.Bundle, strings.Join(ss.Layout.Refresh, " "))
	default:
		st.State, st.Reason = NotTrusted, fmt.Sprintf("not in %s", ss.Layout.Bundle)
	}
	var stale []string
	for _, p := range ss.Stale {
		if rr := r.retired(func(c *x509.Certificate) bool { return filepath.Base(p) == platform.AnchorName(c) }); rr != nil {
			st.Reason += retiredNote(p, rr)
			continue
		}
		stale = append(stale, p)
	}
	if len(stale) > 0 {
		st.Reason += fmt.Sprintf("; %d stale anchor(s) from other vouch roots: %s", len(stale), strings.Join(stale, ", "))
	}
	if ss.Partial != "" {
		st.Reason += fmt.Sprintf("; %s is left from an update-ca-certificates that stopped part way, and the next refresh would add to it (if none is running: %s)", ss.Partial, (&platform.PartialError{Path: ss.Partial}).Fix())
	}
	return st
}

func (s *System) Install(ctx context.Context, r Root) (bool, error) {
	if s.Err != nil {
		return false, s.Err
	}
	plan, ss, err := s.installPlan(r)
	if err != nil {
		return false, err
	}
	return s.apply(ctx, plan, ss, r)
}

func (s *System) installPlan(r Root) ([]platform.Cmd, platform.SystemState, error) {
	ss, err := s.state(r)
	if err != nil || ss.InBundle && !orphaned(ss) {
		return nil, ss, err
	}
	return s.Sys.InstallPlan(r.Cert, r.File, ss), ss, nil
}

// PartialBlocks is the error Install (install) or Uninstall would meet
// for r: a half-written bundle (Partial) left by a refresh that stopped
// part way, when the change has anything to do; nil otherwise, so that a
// command need not stop while this store is left as it is. It costs a
// stat, not a read of the store, when there is no such bundle.
func (s *System) PartialBlocks(r Root, install, all bool) error {
	p := s.Partial()
	if p == "" {
		return nil
	}
	plan, _, err := s.uninstallPlan(r, all)
	if install {
		plan, _, err = s.installPlan(r)
	}
	if err != nil || len(plan) == 0 {
		return nil
	}
	return &platform.PartialError{Path: p}
}

// orphaned is a root in the bundle that no file in the anchor folders
// holds (where anchors are files): the bundle's next rebuild drops it.
func orphaned(ss platform.SystemState) bool {
	return ss.InBundle && ss.Anchor == "" && len(ss.Others) == 0 && ss.Layout.Remove == nil
}

func (s *System) Uninstall(ctx context.Context, r Root, all bool) (bool, error) {
	if s.Err != nil {
		return false, s.Err
	}
	plan, ss, err := s.uninstallPlan(r, all)
	if err != nil {
		return false, err
	}
	return s.apply(ctx, plan, ss, r)
}

func (s *System) uninstallPlan(r Root, all bool) ([]platform.Cmd, platform.SystemState, error) {
	ss, err := s.state(r)
	if err != nil {
		return nil, ss, err
	}
	if r.Mkcert {
		for _, p := range ss.Others {
			if platform.MkcertAnchor(r.Cert, p) {
				ss.Also = append(ss.Also, p)
			}
		}
	}
	return s.Sys.UninstallPlan(r.Cert, ss, all), ss, nil
}

// apply carries out plan, if there is one, unless a refresh that stopped
// part way left its bundle (see platform.Layout.Partial).
func (s *System) apply(ctx context.Context, plan []platform.Cmd, ss platform.SystemState, r Root) (bool, error) {
	if len(plan) == 0 {
		return false, nil
	}
	if ss.Partial != "" {
		return false, &platform.PartialError{Path: ss.Partial}
	}
	return true, s.Sys.Apply(ctx, plan, r.PEM)
}

// Partial is the half-written bundle a refresh that stopped part way left
// (platform.Layout.Partial), or "": while it is there, a change to this
// store fails. Only Linux layouts have one; it costs the layout's
// look-up and a stat, not a read of the store.
func (s *System) Partial() string {
	if ps, ok := s.Sys.(platform.PartialSystem); ok && s.Err == nil {
		return ps.PartialLeft()
	}
	return ""
}

// FeedsJava reports whether a full refresh of this store rebuilds Java's
// cacerts from it (Debian's hook): a root it trusts comes back there.
func (s *System) FeedsJava() bool {
	fs, ok := s.Sys.(platform.JavaFeedingSystem)
	return ok && s.Err == nil && fs.JavaHook() != ""
}

// state reads the store's state, from the root's file and a probe leaf too
// when the store takes them (macOS).
func (s *System) state(r Root) (platform.SystemState, error) {
	if ss, ok := s.Sys.(platform.SubjectSystem); ok {
		return ss.SubjectState(platform.Subject{Cert: r.Cert, File: r.File, Probe: r.Probe})
	}
	return s.Sys.State(r.Cert, r.Keep...)
}
