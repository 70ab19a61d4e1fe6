//! An endpoint that misbehaves at the HTTP level, for tests: raw HTTP/1.1 over a loopback socket,
//! so that it can do what a framework would not — send without end, trickle, announce a size it
//! then sends. It answers every request the same way and records what it did: requests, bytes
//! written before the client hung up, when it hung up, and the Referer of each request.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How every request is answered.
#[derive(Debug, Clone)]
pub enum Hostility {
    /// `200 OK` with a body delimited by the connection's close (RFC 9112 §6.3, item 8), sent
    /// without end: a client must stop reading on its own.
    Endless,
    /// `200 OK` with `Content-Length` announcing this many bytes (RFC 9112 §6.2), then sending them.
    Announced(u64),
    /// `200 OK` with a `Content-Length` of 1,000 bytes, then one byte a second.
    Trickle,
    /// `307 Temporary Redirect` to this URL (RFC 9110 §15.4.8): a client that follows it repeats
    /// the request there, with the request's URL as `Referer` unless it withholds it.
    Redirect(String),
    /// `429 Too Many Requests` (RFC 6585 §4) with this `Retry-After` (RFC 9110 §10.2.3).
    RetryAfter(String),
}

#[derive(Default)]
struct Record {
    requests: AtomicUsize,
    bytes_sent: AtomicU64,
    referers: Mutex<Vec<Option<String>>>,
    hung_up_at: Mutex<Option<Instant>>,
    hung_up: Condvar,
    stopped: AtomicBool,
}

pub struct Hostile {
    pub url: String,
    record: Arc<Record>,
}

impl Hostile {
    pub fn start(hostility: Hostility) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a test server");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let record = Arc::new(Record::default());
        let serving = record.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if serving.stopped.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (record, hostility) = (serving.clone(), hostility.clone());
                std::thread::spawn(move || serve(stream, &hostility, &record));
            }
        });
        Self { url, record }
    }

    pub fn requests(&self) -> usize {
        self.record.requests.load(Ordering::Relaxed)
    }

    /// The bytes of answers it could write before the client hung up (what the kernel's socket
    /// buffers took included).
    pub fn bytes_sent(&self) -> u64 {
        self.record.bytes_sent.load(Ordering::Relaxed)
    }

    pub fn referers(&self) -> Vec<Option<String>> {
        self.record.referers.lock().unwrap().clone()
    }

    /// When a client first hung up in the middle of an answer, if one did.
    pub fn hung_up_at(&self) -> Option<Instant> {
        *self.record.hung_up_at.lock().unwrap()
    }

    /// Blocks until a client has hung up in the middle of an answer; panics after `limit`.
    pub fn wait_for_hang_up(&self, limit: Duration) -> Instant {
        let at = self.record.hung_up_at.lock().unwrap();
        let (at, timeout) = self
            .record
            .hung_up
            .wait_timeout_while(at, limit, |at| at.is_none())
            .unwrap();
        assert!(!timeout.timed_out(), "no client hung up within {limit:?}");
        at.expect("waited for")
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.record.stopped.store(true, Ordering::Relaxed);
        // Wakes the accepting thread so that it sees it is stopped.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

/// Answers the requests of one connection until it closes or an answer ends it.
fn serve(stream: TcpStream, hostility: &Hostility, record: &Record) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let mut writer = stream;
    while let Some(referer) = read_request(&mut reader) {
        record.requests.fetch_add(1, Ordering::Relaxed);
        record.referers.lock().unwrap().push(referer);
        let kept_alive = match hostility {
            Hostility::Redirect(location) => reply(
                &mut writer,
                &format!(
                    "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
                ),
            ),
            Hostility::RetryAfter(value) => reply(
                &mut writer,
                &format!(
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: {value}\r\nContent-Length: 0\r\n\r\n"
                ),
            ),
            Hostility::Endless => stream_body(
                &mut writer,
                record,
                None,
                "Connection: close\r\n",
                Duration::ZERO,
            ),
            Hostility::Announced(bytes) => stream_body(
                &mut writer,
                record,
                Some(*bytes),
                &format!("Content-Length: {bytes}\r\n"),
                Duration::ZERO,
            ),
            Hostility::Trickle => stream_body(
                &mut writer,
                record,
                Some(1_000),
                "Content-Length: 1000\r\n",
                Duration::from_secs(1),
            ),
        };
        if !kept_alive {
            return;
        }
    }
}

/// Reads one request's head and body; its Referer, or `None` once the connection is closed.
fn read_request(reader: &mut impl BufRead) -> Option<Option<String>> {
    let mut length = 0;
    let mut referer = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap_or(0),
                "referer" => referer = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(referer)
}

fn reply(writer: &mut TcpStream, head: &str) -> bool {
    writer.write_all(head.as_bytes()).is_ok()
}

/// A `200 OK` with `header`, then `length` bytes (or without end) of a JSON-looking body, `pace`
/// between writes, counting what was written until the client hangs up. Never keeps the
/// connection.
fn stream_body(
    writer: &mut TcpStream,
    record: &Record,
    length: Option<u64>,
    header: &str,
    pace: Duration,
) -> bool {
    let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{header}\r\n");
    if writer.write_all(head.as_bytes()).is_err() {
        return false;
    }
    let piece: Vec<u8> = if pace.is_zero() {
        b"[".iter()
            .chain(b"\"0x00\",".repeat(9_362).iter())
            .copied()
            .collect()
    } else {
        b" ".to_vec()
    };
    let mut left = length.unwrap_or(u64::MAX);
    while left > 0 {
        std::thread::sleep(pace);
        let part = &piece[..piece.len().min(usize::try_from(left).unwrap_or(usize::MAX))];
        if writer.write_all(part).is_err() {
            let mut at = record.hung_up_at.lock().unwrap();
            at.get_or_insert_with(Instant::now);
            record.hung_up.notify_all();
            return false;
        }
        record
            .bytes_sent
            .fetch_add(part.len() as u64, Ordering::Relaxed);
        left -= part.len() as u64;
    }
    false
}
