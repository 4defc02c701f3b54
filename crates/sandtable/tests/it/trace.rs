use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sandtable::prelude::*;
use sandtable::trace::SimFormat;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn log_lines_carry_virtual_time_and_node() {
    let buf = Buf::default();
    let b = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .event_format(SimFormat)
        .with_writer(move || b.clone())
        .with_max_level(tracing::Level::INFO)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let sim = Sim::new(1);
        sim.add_node("alpha", || async {
            sleep(Duration::from_millis(1500)).await;
            tracing::info!(term = 3, "became leader");
        });
        sim.run_for(Duration::from_secs(2)).unwrap();
        tracing::info!("outside");
    });
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("   1.500000000s alpha"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("INFO") && lines[0].contains("became leader term=3"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("(no sim)") && lines[1].contains("outside"),
        "{}",
        lines[1]
    );
}
