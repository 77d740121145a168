package runner

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"

	"github.com/chromedp/chromedp"
)

// ErrNoChromium is returned by New when no Chromium binary can be found.
var ErrNoChromium = errors.New("chromium not found: install it (apt-get install chromium) or pass its path with --chromium")

// chromiumNames are looked up on PATH, in order, when no path is configured.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// FindChromium returns the path of the Chromium binary: path itself when it is
// set, else the first of the usual names found on PATH.
func FindChromium(path string) (string, error) {
	if path != "" {
		p, err := exec.LookPath(path)
		if err != nil {
			return "", fmt.Errorf("%w: %s", ErrNoChromium, path)
		}
		return p, nil
	}
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// identity is the unprivileged account Chromium runs as.
type identity struct {
	uid, gid uint32
	home     string
	switched bool // whether the browser runs as another user than sandpit
}

// browserIdentity decides who Chromium runs as. Chromium's own sandbox must
// stay on, and it refuses to run as root with the sandbox on, so a root
// process hands the browser to the unprivileged account name.
func browserIdentity(name string) (identity, error) {
	if os.Geteuid() != 0 {
		home, _ := os.UserHomeDir()
		return identity{uid: uint32(os.Getuid()), gid: uint32(os.Getgid()), home: home}, nil
	}
	if !switchesUser {
		return identity{}, errors.New("sandpit runs as root, and Chromium must not; run sandpit as an unprivileged user (starting Chromium as another user needs Linux)")
	}
	u, err := user.Lookup(name)
	if err != nil {
		return identity{}, fmt.Errorf("chromium user %q: %w (sandpit runs as root, so Chromium runs as an unprivileged user; create it with: useradd --system --create-home %s)", name, err, name)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if uid == 0 {
		return identity{}, fmt.Errorf("chromium user %q is root: Chromium must run unprivileged", name)
	}
	return identity{uid: uint32(uid), gid: uint32(gid), home: u.HomeDir, switched: true}, nil
}

// namespaceArgs are the arguments of unshare that run prog in new user and
// network namespaces, mapped to the browser's own uid and gid so that
// Chromium's sandbox still starts.
func namespaceArgs(id identity, prog string, args ...string) []string {
	return append([]string{
		"-Un",
		"--map-user=" + strconv.FormatUint(uint64(id.uid), 10),
		"--map-group=" + strconv.FormatUint(uint64(id.gid), 10),
		"--", prog,
	}, args...)
}

// browserFlags are Chromium's command-line flags. Besides headless operation
// they close every way out to the network that does not pass through
// sandpit's request interception: a dead proxy that loopback does not bypass,
// a resolver that resolves nothing, WebRTC held to proxied UDP, and no
// background traffic of Chromium's own.
func browserFlags(dataDir string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.UserDataDir(dataDir),
		// Chromium's sandbox stays on; chromedp turns it off for root
		// unless told otherwise.
		chromedp.Flag("no-sandbox", false),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-domain-reliability", true),
		// The omnibox popup of a headless window is a WebUI page (a
		// --top-chrome-webui renderer that loads some 400 files), made for
		// every browser context's window, so for every host: 0.7-0.9 s of
		// CPU that nothing uses (docs/PERFORMANCE.md). Both features must be
		// off for Chromium 156 to keep the native popup (TestNoBrowserUIPages).
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,CertificateTransparencyComponentUpdater,WebUIOmniboxPopup,WebUIOmniboxAimPopup"),
		// V8's collector as a function, which the page's modules take off
		// the global object before any job runs (page/static/snapshot.js):
		// a ready sandbox frees the snapshot's copy it restored from while
		// it waits for its job, where V8 left it for a minute or more.
		chromedp.Flag("js-flags", "--expose-gc"),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-hang-monitor", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("proxy-server", "http://127.0.0.1:9"),
		chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
		chromedp.Flag("webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		chromedp.Flag("force-webrtc-ip-handling-policy", true),
		chromedp.Flag("disable-quic", true),
	}
}

// allocatorOptions builds the options that start Chromium as id, inside an
// empty network namespace when netns is set.
func allocatorOptions(execPath, dataDir string, id identity, unshare string, netns bool) []chromedp.ExecAllocatorOption {
	opts := browserFlags(dataDir)
	opts = append(opts,
		chromedp.ExecPath(execPath),
		chromedp.NoInheritEnv,
		chromedp.Env("HOME="+id.home, "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			cmd.SysProcAttr = credentials(id)
			if netns {
				cmd.Args = append([]string{"unshare"}, namespaceArgs(id, cmd.Path, cmd.Args[1:]...)...)
				cmd.Path = unshare
			}
		}),
	)
	return opts
}

// makeDataDir creates a private user data directory the browser user owns.
func makeDataDir(id identity) (string, error) {
	dir, err := os.MkdirTemp("", "sandpit-chromium-")
	if err != nil {
		return "", fmt.Errorf("create chromium profile: %w", err)
	}
	if id.switched {
		if err := os.Chown(dir, int(id.uid), int(id.gid)); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("create chromium profile: %w", err)
		}
	}
	return filepath.Clean(dir), nil
}
