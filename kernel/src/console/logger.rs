//! The `log` crate's backend: `[LEVEL] message` on both outputs, the level
//! tag coloured on screen (errors red, warnings yellow, ...).

use super::screen::Color;
use log::{Level, LevelFilter, Log, Metadata, Record};

struct ConsoleLogger;

static LOGGER: ConsoleLogger = ConsoleLogger;

fn color(level: Level) -> Color {
    match level {
        Level::Error => Color::LightRed,
        Level::Warn => Color::Yellow,
        Level::Info => Color::LightGreen,
        Level::Debug => Color::LightCyan,
        Level::Trace => Color::DarkGray,
    }
}

impl Log for ConsoleLogger {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &Record<'_>) {
        use core::fmt::Write;
        let mut console = super::CONSOLE.lock();
        console.set_color(color(record.level()));
        let _ = write!(console, "[{:>5}]", record.level());
        console.set_color(Color::LightGray);
        let _ = writeln!(console, " {}", record.args());
    }

    fn flush(&self) {}
}

/// Installs the logger (once; later calls are ignored).
pub fn init() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Info);
    }
}
