// This Source Code Form is subject to the terms of the Mozilla Public
// License, v. 2.0. If a copy of the MPL was not distributed with this
// file, You can obtain one at http://mozilla.org/MPL/2.0/.

//! A private X server (Xvfb) on a free display, the real `sotto-desktop`
//! binary in it, and the tools a person's hands and eyes stand in for:
//! xdotool to type and click, xwd and netpbm to take a PNG screenshot.
//!
//! Every process is started here and stopped by its PID when its guard is
//! dropped. A missing tool is an error that names the Debian package
//! (`tests/run.sh` installs them), never a skip.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt as _, EventMask};

/// Screen size of the virtual display; larger than the app's default
/// window (1024×700), so the whole window is on screen.
const SCREEN: &str = "1280x800x24";
/// Display numbers tried, from a start that depends on the PID so that
/// parallel test processes rarely collide.
const DISPLAYS: u32 = 400;
const FIRST_DISPLAY: u32 = 100;
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Polls `check` every 100 ms until it returns `Some`, or panics after
/// `timeout` naming `what`.
pub fn poll<T>(what: &str, timeout: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A running Xvfb, killed (by PID) on drop.
#[derive(Debug)]
pub struct Xvfb {
    child: Child,
    display: u32,
}

impl Xvfb {
    /// Starts Xvfb on the first free display number and waits until it
    /// accepts clients.
    pub fn start() -> Xvfb {
        let offset = std::process::id() % DISPLAYS;
        for i in 0..DISPLAYS {
            let display = FIRST_DISPLAY + (offset + i) % DISPLAYS;
            if Path::new(&format!("/tmp/.X{display}-lock")).exists()
                || Path::new(&format!("/tmp/.X11-unix/X{display}")).exists()
            {
                continue;
            }
            let child = Command::new("Xvfb")
                .arg(format!(":{display}"))
                .args(["-screen", "0", SCREEN, "-nolisten", "tcp", "-noreset"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("starting Xvfb (Debian package xvfb): {e}"));
            let mut xvfb = Xvfb { child, display };
            if xvfb.wait_ready() {
                return xvfb;
            }
            // Lost a race for this display number: the guard kills it.
        }
        panic!(
            "no free X display number in {FIRST_DISPLAY}..{}",
            FIRST_DISPLAY + DISPLAYS
        );
    }

    /// Whether the server came up (false if it exited, e.g. display taken).
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if Path::new(&format!("/tmp/.X11-unix/X{}", self.display)).exists()
                && x11rb::connect(Some(&self.name())).is_ok()
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "Xvfb :{} did not accept clients within {START_TIMEOUT:?}",
            self.display
        );
    }

    /// The `DISPLAY` value.
    pub fn name(&self) -> String {
        format!(":{}", self.display)
    }

    /// Runs xdotool on this display; returns its standard output, or the
    /// failed output as an error.
    pub fn xdotool(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", self.name())
            .output()
            .unwrap_or_else(|e| panic!("running xdotool (Debian package xdotool): {e}"));
        output_text("xdotool", args, out)
    }

    /// Like [`xdotool`](Self::xdotool), panicking on failure.
    pub fn xdo(&self, args: &[&str]) -> String {
        self.xdotool(args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The title of a window.
    pub fn title(&self, window: &str) -> String {
        self.xdo(&["getwindowname", window]).trim().to_owned()
    }

    /// Saves a PNG screenshot of `window` to `png`; returns its width and
    /// height. Panics unless the picture has a size and is not a single
    /// colour (a window that drew nothing).
    pub fn screenshot(&self, window: &str, png: &Path) -> (u32, u32) {
        let xwd = png.with_extension("xwd");
        let ppm = png.with_extension("ppm");
        run(Command::new("xwd")
            .args(["-silent", "-id", window, "-out"])
            .arg(&xwd)
            .env("DISPLAY", self.name()));
        let pnm = run(Command::new("xwdtopnm").arg(&xwd)).stdout;
        std::fs::write(&ppm, &pnm).unwrap();
        let (width, height, pixels) = parse_ppm(&pnm);
        assert!(width > 0 && height > 0, "the screenshot is empty");
        assert!(
            pixels.chunks(3).any(|p| p != &pixels[..3]),
            "the screenshot is a single colour: the window drew nothing"
        );
        let png_bytes = run(Command::new("pnmtopng").arg(&ppm)).stdout;
        assert!(
            png_bytes.starts_with(b"\x89PNG\r\n\x1a\n") && png_bytes.len() > 33,
            "pnmtopng wrote no PNG"
        );
        // IHDR: the first chunk, its width and height big-endian at 16..24.
        let dim = |at: usize| u32::from_be_bytes([0, 1, 2, 3].map(|i| png_bytes[at + i]));
        assert_eq!((dim(16), dim(20)), (width, height), "PNG size");
        std::fs::write(png, &png_bytes).unwrap();
        let _ = std::fs::remove_file(&xwd);
        let _ = std::fs::remove_file(&ppm);
        (width, height)
    }

    /// Asks the window to close, as a window manager's close button does
    /// (a `WM_DELETE_WINDOW` client message), so the app shuts down cleanly.
    pub fn close_window(&self, window: &str) {
        let window: u32 = window.trim().parse().unwrap();
        let (conn, _) = x11rb::connect(Some(&self.name())).unwrap();
        let atom = |name: &[u8]| conn.intern_atom(false, name).unwrap().reply().unwrap().atom;
        let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
        let event = ClientMessageEvent::new(
            32,
            window,
            protocols,
            [delete, x11rb::CURRENT_TIME, 0, 0, 0],
        );
        conn.send_event(false, window, EventMask::NO_EVENT, event)
            .unwrap();
        conn.flush().unwrap();
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The real app, killed (by PID) on drop if it is still running.
#[derive(Debug)]
pub struct App {
    child: Child,
    /// Where its standard error goes.
    pub log: PathBuf,
}

/// `sotto-desktop --profile DIR` on `xvfb` with the software renderer,
/// logging its start-up milestones; standard error is the caller's choice.
pub fn command(xvfb: &Xvfb, profile: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sotto-desktop"));
    command
        .arg("--profile")
        .arg(profile)
        .env("DISPLAY", xvfb.name())
        .env("ICED_BACKEND", "tiny-skia")
        // The start-up milestones tell when the window takes keys.
        .env("RUST_LOG", "warn,sotto_desktop::startup=info")
        // X11 only: never a Wayland compositor the caller may have.
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command
}

impl App {
    /// Starts `sotto-desktop --profile DIR` on `xvfb` with the software
    /// renderer; its standard error goes to `log`.
    pub fn start(xvfb: &Xvfb, profile: &Path, log: PathBuf) -> App {
        let stderr = std::fs::File::create(&log).unwrap();
        let child = command(xvfb, profile).stderr(stderr).spawn().unwrap();
        App { child, log }
    }

    /// Panics (with the app's log) if the app has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "sotto-desktop exited ({status}); its log:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }

    /// Waits for the app to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        poll("sotto-desktop to exit", timeout, || {
            self.child.try_wait().unwrap()
        })
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The directory for test artifacts: `$CARGO_TARGET_DIR/test-artifacts`,
/// else the workspace's `target/test-artifacts`.
pub fn artifact_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(command: &mut Command) -> Output {
    let program = command.get_program().to_string_lossy().into_owned();
    let out = command.output().unwrap_or_else(|e| {
        panic!("running {program} (Debian packages x11-apps for xwd, netpbm for the rest): {e}")
    });
    assert!(
        out.status.success(),
        "{program} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn output_text(program: &str, args: &[&str], out: Output) -> Result<String, String> {
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{program} {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Width, height and RGB bytes of a binary PPM (P6, maxval < 256), as
/// xwdtopnm writes for a 24-bit window.
fn parse_ppm(data: &[u8]) -> (u32, u32, &[u8]) {
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while data[at].is_ascii_whitespace() {
            at += 1;
        }
        if data[at] == b'#' {
            while data[at] != b'\n' {
                at += 1;
            }
            continue;
        }
        let start = at;
        while !data[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(std::str::from_utf8(&data[start..at]).unwrap().to_owned());
    }
    assert_eq!(fields[0], "P6", "xwdtopnm wrote no colour PPM");
    let number = |i: usize| fields[i].parse::<u32>().unwrap();
    let (width, height) = (number(1), number(2));
    assert!(number(3) < 256, "16-bit PPM");
    let pixels = &data[at + 1..];
    assert_eq!(pixels.len(), (width * height * 3) as usize, "PPM size");
    (width, height, pixels)
}
