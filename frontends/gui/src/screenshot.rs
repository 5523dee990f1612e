//! A test-only way to save one frame of a chosen view as PNG and exit, so
//! the screenshots in docs/ come from the real binary under Xvfb, against
//! a real chatd, with nothing faked:
//!
//! - `CHAT_GUI_SCREENSHOT=<file.png>`: save a frame there, then close;
//! - `CHAT_GUI_VIEW=<view>`: which view (not-running, login, signup, chat,
//!   safety, key-changed, group); the app steers itself there and waits
//!   until what the view shows has loaded.
//!
//! Without `CHAT_GUI_SCREENSHOT` none of this exists for the person.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use egui::ColorImage;

use crate::backend::Link;
use crate::model::Phase;
use crate::ui::{App, AuthScreen};

/// Where to save the frame.
pub const SCREENSHOT_ENV: &str = "CHAT_GUI_SCREENSHOT";
/// Which view to show.
pub const VIEW_ENV: &str = "CHAT_GUI_VIEW";
/// How long a view may take to load before the run fails.
const READY_TIMEOUT: Duration = Duration::from_secs(40);
/// Frames drawn after the view is ready, so layout (scrolling to the
/// bottom, sizes measured in the previous frame) has settled.
const SETTLE_FRAMES: u32 = 5;

/// A view to capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// chatd is not running.
    NotRunning,
    /// The log-in form.
    Login,
    /// The sign-up form, with a confirmation that does not match.
    Signup,
    /// The most recent conversation.
    Chat,
    /// The safety-number dialog of the most recent conversation.
    Safety,
    /// The warning about a changed key.
    KeyChanged,
    /// The most recent group, with its members.
    Group,
}

impl View {
    /// Every view, with its name in `CHAT_GUI_VIEW`.
    pub const ALL: [(&'static str, View); 7] = [
        ("not-running", View::NotRunning),
        ("login", View::Login),
        ("signup", View::Signup),
        ("chat", View::Chat),
        ("safety", View::Safety),
        ("key-changed", View::KeyChanged),
        ("group", View::Group),
    ];

    fn parse(name: &str) -> anyhow::Result<View> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .with_context(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(n, _)| *n).collect();
                format!(
                    "{VIEW_ENV}={name:?} is not a view; use one of {}",
                    names.join(", ")
                )
            })
    }
}

/// What to capture and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The PNG to write.
    pub path: PathBuf,
    /// The view.
    pub view: View,
    /// The window's size in points.
    pub size: [f32; 2],
}

impl Plan {
    /// The plan in the environment, if any.
    pub fn from_env() -> anyhow::Result<Option<Plan>> {
        let Some(path) = std::env::var_os(SCREENSHOT_ENV).filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        let path = PathBuf::from(path);
        if path.extension().is_none_or(|e| e != "png") {
            bail!(
                "{SCREENSHOT_ENV} must name a .png file, not {}",
                path.display()
            );
        }
        let view = match std::env::var(VIEW_ENV) {
            Ok(name) => View::parse(&name)?,
            Err(_) => View::Chat,
        };
        Ok(Some(Plan {
            path,
            view,
            size: [1000.0, 660.0],
        }))
    }

    /// Sets the view state up for the view before the first frame.
    pub fn prepare(&self, view: &mut crate::ui::ViewState) {
        view.assume_focused = true;
        if self.view == View::Signup {
            view.auth_screen = AuthScreen::Signup;
            view.signup.username = "alice".into();
            view.signup.password = "correct horse battery".into();
            view.signup.confirmation = "correct horse batery".into();
        }
    }
}

/// Outcome of the save, written by the screenshot callback.
type Saved = Arc<Mutex<Option<Result<(), String>>>>;

/// A capture in progress.
#[derive(Debug)]
pub struct Shot {
    plan: Plan,
    started: Instant,
    settled: u32,
    saved: Option<Saved>,
}

impl Shot {
    /// Starts waiting for the view.
    pub fn new(plan: Plan) -> Self {
        Self {
            plan,
            started: Instant::now(),
            settled: 0,
            saved: None,
        }
    }

    /// Steers the app towards the view, and captures it once ready.
    pub fn after_frame(&mut self, ctx: &egui::Context, app: &mut App) {
        ctx.request_repaint_after(Duration::from_millis(50));
        if let Some(saved) = &self.saved {
            let outcome = saved.lock().map(|s| s.clone()).unwrap_or(None);
            match outcome {
                Some(Ok(())) => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
                Some(Err(e)) => fail(&format!("cannot save the screenshot: {e}")),
                None => {}
            }
            return;
        }
        if !steer(self.plan.view, app) {
            self.settled = 0;
            if self.started.elapsed() > READY_TIMEOUT {
                fail(&format!(
                    "the {:?} view was not ready within {READY_TIMEOUT:?}",
                    self.plan.view
                ));
            }
            return;
        }
        self.settled += 1;
        if self.settled < SETTLE_FRAMES {
            return;
        }
        let saved: Saved = Arc::default();
        let path = self.plan.path.clone();
        let sink = saved.clone();
        let waker = ctx.clone();
        ctx.request_screenshot(move |image| {
            let result = save_png(&path, &image).map_err(|e| format!("{e:#}"));
            if let Ok(mut slot) = sink.lock() {
                *slot = Some(result);
            }
            waker.request_repaint();
        });
        self.saved = Some(saved);
    }
}

/// Moves the app towards `view`; true once it shows it, fully loaded.
fn steer(view: View, app: &mut App) -> bool {
    let phase = app.model.phase();
    match view {
        View::NotRunning => matches!(app.model.link, Link::NotRunning { .. }),
        View::Login => phase == Phase::SignedOut && app.view.auth_screen == AuthScreen::Login,
        View::Signup => phase == Phase::SignedOut && app.view.auth_screen == AuthScreen::Signup,
        View::Chat | View::Safety => {
            if phase != Phase::SignedIn {
                return false;
            }
            let Some(peer) = app
                .model
                .threads_by_recency()
                .first()
                .map(|t| t.peer.clone())
            else {
                return false;
            };
            app.open_peer(&peer);
            if view == View::Safety {
                app.view.safety = Some(peer.clone());
            }
            let loaded = app.model.threads.get(&peer).is_some_and(|t| t.loaded);
            let fingerprints =
                app.model.fingerprints.contains_key(&peer) && app.model.own_fingerprint.is_some();
            loaded && fingerprints
        }
        View::KeyChanged => {
            let Some(user) = app.model.key_alerts.front().cloned() else {
                return false;
            };
            app.open_peer(&user);
            app.model.fingerprints.contains_key(&user)
                && app.model.threads.get(&user).is_some_and(|t| t.loaded)
        }
        View::Group => {
            if phase != Phase::SignedIn {
                return false;
            }
            let Some(id) = app.model.groups_by_recency().first().map(|g| g.id.clone()) else {
                return false;
            };
            let chat = chatd_api::Chat::Group(id);
            app.open(&chat);
            app.model.thread(&chat).is_some_and(|t| t.loaded)
        }
    }
}

/// Writes an egui image as an RGBA PNG.
fn save_png(path: &Path, image: &ColorImage) -> anyhow::Result<()> {
    let [w, h] = image.size;
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w as u32, h as u32);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let bytes: Vec<u8> = image.pixels.iter().flat_map(|c| c.to_array()).collect();
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&bytes)?;
    writer.finish()?;
    Ok(())
}

/// Ends a screenshot run that cannot succeed, saying why.
fn fail(message: &str) -> ! {
    eprintln!("chat-gui: screenshot: {message}");
    std::process::exit(1)
}
