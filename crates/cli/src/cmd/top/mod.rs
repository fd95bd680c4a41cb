//! `zosmf-ha top`: a live view of a running distributor over its control
//! socket (the control protocol's Status report), redrawn every interval;
//! keys switch views and quiesce or resume a target after a confirmation.
//! When the control socket goes away it says so, keeps the last view, and
//! tries again every second until the distributor answers again. When
//! stdout is no terminal (or with `--once`) it prints the view as text.

pub mod ui;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event, KeyEventKind};
use zha_distributor::control;
use zha_distributor::protocol::{Report, Request, View};

use crate::args::TopArgs;
use crate::output;
use ui::{App, Ask, Change, Key};

/// How long a look at the distributor may take.
const ASK: Duration = Duration::from_secs(2);

/// How often a lost distributor is tried again.
const RETRY: Duration = Duration::from_secs(1);

/// The Status view at `path`.
pub async fn look(path: &Path) -> Result<View, String> {
    control::netstat(path, Report::Status, ASK)
        .await
        .map_err(|e| e.to_string())
}

/// Ask the distributor at `path` for a change; the note to show.
pub async fn change(path: &Path, c: &Change) -> String {
    let req = Request::Vary {
        action: c.action,
        target: c.target.clone(),
        port: Some(c.port),
        force: false,
    };
    match control::act(path, &req, ASK).await {
        Ok(lines) => lines.join("; "),
        Err(e) => format!("nothing changed: {e}"),
    }
}

pub fn run(a: TopArgs) -> anyhow::Result<ExitCode> {
    let path = crate::cmd::distribute::socket(&a.control)?;
    if a.interval < Duration::from_millis(100) {
        output::error("zosmf-ha top: --interval must be at least 100ms");
        return Ok(ExitCode::from(2));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut app = App::new(path.display().to_string(), output::use_color(a.color.color));
    if a.once || !std::io::stdout().is_terminal() {
        // Plain text: one view per interval (`--once`: one, and its status).
        loop {
            app.now = zha_distributor::metrics::unix_now();
            match rt.block_on(look(&path)) {
                Ok(v) => app.update(v),
                Err(e) => app.trouble = Some(e),
            }
            if !output::print_while_read(&(ui::plain(&app) + "\n"))? {
                return Ok(ExitCode::SUCCESS);
            }
            if a.once {
                return Ok(ExitCode::from(if app.trouble.is_some() { 1 } else { 0 }));
            }
            std::thread::sleep(a.interval);
        }
    }
    let mut terminal = ratatui::try_init()?;
    let done = screen(&rt, &path, &mut app, a.interval, &mut terminal);
    ratatui::restore();
    done?;
    Ok(ExitCode::SUCCESS)
}

fn screen(
    rt: &tokio::runtime::Runtime,
    path: &Path,
    app: &mut App,
    interval: Duration,
    terminal: &mut ratatui::DefaultTerminal,
) -> anyhow::Result<()> {
    let mut next = Instant::now();
    loop {
        if Instant::now() >= next {
            match rt.block_on(look(path)) {
                Ok(v) => {
                    // The clock moves with the views (a lost one's stays).
                    app.now = zha_distributor::metrics::unix_now();
                    app.update(v);
                    next = Instant::now() + interval;
                }
                Err(e) => {
                    app.trouble = Some(e);
                    next = Instant::now() + RETRY;
                }
            }
        }
        terminal.draw(|f| ui::draw(f, app))?;
        if event::poll(Duration::from_millis(100))? {
            let Event::Key(k) = event::read()? else {
                continue;
            };
            if k.kind != KeyEventKind::Press {
                continue;
            }
            match app.key(Key::of(&k)) {
                Some(Ask::Quit) => return Ok(()),
                Some(Ask::Vary(c)) => {
                    app.note = Some(rt.block_on(change(path, &c)));
                    next = Instant::now();
                }
                None => {}
            }
        }
    }
}
