//! `MetricsWriter`: metrics.csv's rows formatted and written on a thread of their own, so the loop only copies each record into a buffer.

use std::fs::File;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use anyhow::Context as _;

use crate::observer::Record;

/// Records handed to the writer thread at a time.
const CHUNK: usize = 4096;

/// Chunk buffers in all: one being filled, two in the channel, one being written.
const BUFFERS: usize = 4;

/// Formatting a row (four floats) costs more than an iteration of a small problem, so the loop
/// only appends the record to a chunk; full chunks go to a writer thread that formats them and
/// sends the emptied buffers back. Every `every`-th record is kept, and the last one always.
///
/// The rows are the bytes the csv crate's serializer writes for a [`Record`] (a test compares
/// them): itoa and ryu, the crates it formats with, straight into one buffer, without its
/// quoting machinery (numbers never need quotes), and the lr's text reused while it does not
/// change. About half the cost of serializing through csv, so that the writer keeps up with
/// a loop of a tenth of a microsecond.
#[derive(Debug)]
pub struct MetricsWriter {
    every: usize,
    /// Counts down to the next kept record.
    skip: usize,
    chunk: Vec<Record>,
    /// Chunk buffers made so far (at most [`BUFFERS`]).
    buffers: usize,
    /// The last record offered, if it was not kept.
    last: Option<Record>,
    full: Option<SyncSender<Vec<Record>>>,
    empty: Receiver<Vec<Record>>,
    thread: Option<JoinHandle<anyhow::Result<File>>>,
}

impl MetricsWriter {
    /// A writer of `path` (created now) keeping every `every`-th record (`every` >= 1).
    pub fn create(path: &Path, every: usize) -> anyhow::Result<Self> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let writer = std::io::BufWriter::with_capacity(1 << 16, file);
        // Two chunks in flight: the loop waits only when the writer is two chunks behind.
        let (full, chunks) = sync_channel::<Vec<Record>>(2);
        let (give_back, empty) = sync_channel::<Vec<Record>>(BUFFERS);
        let thread = std::thread::Builder::new()
            .name("metrics.csv".into())
            .spawn(move || write_chunks(writer, chunks, give_back))
            .context("starting the metrics.csv writer thread")?;
        Ok(Self {
            every: every.max(1),
            skip: 0,
            chunk: Vec::with_capacity(CHUNK),
            buffers: 1,
            last: None,
            full: Some(full),
            empty,
            thread: Some(thread),
        })
    }

    /// Offer one record: kept when it is the `every`-th.
    #[inline]
    pub fn push(&mut self, record: &Record) -> anyhow::Result<()> {
        if self.skip > 0 {
            self.skip -= 1;
            self.last = Some(*record);
            return Ok(());
        }
        self.skip = self.every - 1;
        self.last = None;
        self.chunk.push(*record);
        if self.chunk.len() == CHUNK {
            self.send()?;
        }
        Ok(())
    }

    /// Hand the chunk to the writer thread and take an emptied one back: a new one while
    /// fewer than [`BUFFERS`] exist, else the next the writer returns (waiting for it), so the
    /// loop never touches fresh pages once the buffers are made.
    fn send(&mut self) -> anyhow::Result<()> {
        let next = match self.empty.try_recv() {
            Ok(v) => v,
            Err(_) if self.buffers < BUFFERS => {
                self.buffers += 1;
                Vec::with_capacity(CHUNK)
            }
            // The writer has stopped when it has nothing to give back: its error says why.
            Err(_) => match self.empty.recv() {
                Ok(v) => v,
                Err(_) => return Err(self.stopped()),
            },
        };
        let chunk = std::mem::replace(&mut self.chunk, next);
        let sent = self.full.as_ref().map(|full| full.send(chunk));
        if let Some(Err(_)) = sent {
            return Err(self.stopped());
        }
        Ok(())
    }

    /// Write what is left (and the last record, if it was skipped), wait for the thread and
    /// return the file, flushed.
    pub fn finish(mut self) -> anyhow::Result<File> {
        if let Some(last) = self.last.take() {
            self.chunk.push(last);
        }
        if !self.chunk.is_empty() {
            self.send()?;
        }
        self.full = None;
        self.join()
    }

    /// Why the writer thread stopped before the run ended: its error.
    fn stopped(&mut self) -> anyhow::Error {
        match self.join() {
            Err(e) => e,
            Ok(_) => anyhow::anyhow!("the metrics.csv writer stopped early"),
        }
    }

    /// Close the channel and wait for the writer thread's outcome.
    fn join(&mut self) -> anyhow::Result<File> {
        self.full = None;
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| anyhow::anyhow!("the metrics.csv writer thread panicked"))?,
            None => anyhow::bail!("the metrics.csv writer has already stopped"),
        }
    }
}

/// The header row, as the csv crate writes it from [`Record`]'s field names.
const HEADER: &[u8] = b"iteration,lr,loss,grad_norm,predicted_loss,avg_loss\n";

/// The writer thread: the header, then every record of every chunk, then flush.
fn write_chunks(
    mut writer: std::io::BufWriter<File>,
    chunks: Receiver<Vec<Record>>,
    give_back: SyncSender<Vec<Record>>,
) -> anyhow::Result<File> {
    use std::io::Write as _;
    let mut rows = Rows::default();
    let mut line = Vec::with_capacity(128);
    writer.write_all(HEADER).context("writing metrics.csv")?;
    for mut chunk in chunks {
        for record in &chunk {
            line.clear();
            rows.format(record, &mut line);
            writer.write_all(&line).context("writing metrics.csv")?;
        }
        chunk.clear();
        // The loop waits for it once all buffers are made (the channel holds them all).
        let _ = give_back.try_send(chunk);
    }
    writer
        .into_inner()
        .map_err(|e| anyhow::anyhow!("writing metrics.csv: {}", e.error()))
}

/// Formats rows, keeping the lr's text while its bits do not change.
#[derive(Default)]
struct Rows {
    lr: Option<(u64, Vec<u8>)>,
    floats: ryu::Buffer,
    integers: itoa::Buffer,
}

impl Rows {
    /// `iteration,lr,loss,grad_norm,predicted_loss,avg_loss\n` of `r` appended to `line`.
    fn format(&mut self, r: &Record, line: &mut Vec<u8>) {
        line.extend_from_slice(self.integers.format(r.iteration).as_bytes());
        line.push(b',');
        match &self.lr {
            Some((bits, text)) if *bits == r.lr.to_bits() => line.extend_from_slice(text),
            _ => {
                let text = self.floats.format(r.lr).as_bytes().to_vec();
                line.extend_from_slice(&text);
                self.lr = Some((r.lr.to_bits(), text));
            }
        }
        for v in [r.loss, r.grad_norm] {
            line.push(b',');
            line.extend_from_slice(self.floats.format(v).as_bytes());
        }
        line.push(b',');
        for v in [r.predicted_loss, r.avg_loss] {
            if let Some(p) = v {
                line.extend_from_slice(self.floats.format(p).as_bytes());
            }
            line.push(b',');
        }
        line.pop();
        line.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(iteration: usize) -> Record {
        Record {
            iteration,
            lr: 0.1,
            loss: 1.0 / (iteration as f64 + 1.0),
            grad_norm: f64::NAN,
            predicted_loss: if iteration.is_multiple_of(2) {
                Some(0.5)
            } else {
                None
            },
            avg_loss: iteration.is_multiple_of(3).then_some(0.25),
        }
    }

    fn temp(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("descent-metrics-{name}-{}", std::process::id()))
    }

    #[test]
    fn the_thread_writes_the_bytes_the_csv_writer_writes() {
        let (ours, theirs) = (temp("ours"), temp("theirs"));
        let mut w = MetricsWriter::create(&ours, 1).unwrap();
        let mut direct = csv::Writer::from_path(&theirs).unwrap();
        // Several chunks and a partial one.
        for t in 0..(2 * CHUNK + 17) {
            w.push(&record(t)).unwrap();
            direct.serialize(record(t)).unwrap();
        }
        w.finish().unwrap().sync_all().unwrap();
        direct.flush().unwrap();
        assert_eq!(
            std::fs::read(&ours).unwrap(),
            std::fs::read(&theirs).unwrap()
        );
        std::fs::remove_file(ours).ok();
        std::fs::remove_file(theirs).ok();
    }

    #[test]
    fn every_kth_row_is_kept_and_the_last_always() {
        let path = temp("thin");
        let mut w = MetricsWriter::create(&path, 3).unwrap();
        for t in 0..8 {
            w.push(&record(t)).unwrap();
        }
        w.finish().unwrap();
        let mut reader = csv::Reader::from_path(&path).unwrap();
        let kept: Vec<usize> = reader
            .deserialize::<crate::files::MetricsRow>()
            .map(|r| r.unwrap().iteration)
            .collect();
        assert_eq!(kept, [0, 3, 6, 7]);
        std::fs::remove_file(path).ok();
    }
}
