//! A minimal clamd client: the worker asks a ClamAV daemon about an upload's bytes.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Timeout on one whole clamd exchange (connect, upload, verdict).
pub const CLAMD_TIMEOUT: Duration = Duration::from_secs(30);
/// Bytes per INSTREAM chunk; clamd accepts any size up to its StreamMaxLength in total.
const CLAMD_CHUNK: usize = 64 * 1024;
/// clamd's replies are one short line; anything longer is not clamd.
const CLAMD_MAX_REPLY: usize = 4096;

/// Minimal clamd INSTREAM client (the clamd protocol: send "zINSTREAM\0", then chunks each
/// prefixed by a 4-byte big-endian length, then a zero-length chunk; read the reply up to NUL:
/// "stream: OK" or "stream: <Signature> FOUND" or an "... ERROR"). `addr` is "host:port".
/// Returns Ok(None) when clean, Ok(Some(signature)) when infected, Err(text) when clamd cannot be
/// reached or errors. The whole exchange is bounded by [`CLAMD_TIMEOUT`].
pub async fn clamd_scan(addr: &str, bytes: &[u8]) -> Result<Option<String>, String> {
    clamd_scan_within(addr, bytes, CLAMD_TIMEOUT).await
}

async fn clamd_scan_within(
    addr: &str,
    bytes: &[u8],
    timeout: Duration,
) -> Result<Option<String>, String> {
    match tokio::time::timeout(timeout, clamd_exchange(addr, bytes)).await {
        Ok(result) => result,
        Err(_) => Err(format!("clamd at {addr}: no verdict within {timeout:?}")),
    }
}

async fn clamd_exchange(addr: &str, bytes: &[u8]) -> Result<Option<String>, String> {
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("clamd at {addr}: cannot connect: {e}"))?;
    let sent = send_instream(&mut stream, bytes).await;
    // clamd answers and hangs up early when the stream exceeds its StreamMaxLength, so a failed
    // upload can still come with a reply that says why.
    let reply = read_reply(&mut stream).await;
    match (sent, reply) {
        (_, Ok(reply)) if !reply.is_empty() => parse_clamd_reply(&reply),
        (Err(e), _) => Err(format!("clamd at {addr}: upload failed: {e}")),
        (Ok(()), Err(e)) => Err(format!("clamd at {addr}: reading the reply failed: {e}")),
        (Ok(()), Ok(_)) => Err(format!("clamd at {addr}: closed without a reply")),
    }
}

async fn send_instream(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(b"zINSTREAM\0").await?;
    for chunk in bytes.chunks(CLAMD_CHUNK) {
        // CLAMD_CHUNK fits in u32, so the cast cannot truncate.
        stream
            .write_all(&(chunk.len() as u32).to_be_bytes())
            .await?;
        stream.write_all(chunk).await?;
    }
    stream.write_all(&0u32.to_be_bytes()).await?;
    stream.flush().await
}

/// Reads up to the terminating NUL (or until clamd closes), bounded by [`CLAMD_MAX_REPLY`].
async fn read_reply(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut reply = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
        if let Some(end) = reply.iter().position(|&b| b == 0) {
            reply.truncate(end);
            break;
        }
        if reply.len() > CLAMD_MAX_REPLY {
            return Err(std::io::Error::other("reply too long"));
        }
    }
    Ok(String::from_utf8_lossy(&reply).trim().to_owned())
}

fn parse_clamd_reply(reply: &str) -> Result<Option<String>, String> {
    if reply.ends_with("ERROR") {
        return Err(format!("clamd: {reply}"));
    }
    let Some(verdict) = reply.strip_prefix("stream:") else {
        return Err(format!("clamd: unexpected reply {reply:?}"));
    };
    let verdict = verdict.trim();
    if verdict == "OK" {
        return Ok(None);
    }
    match verdict.strip_suffix("FOUND").map(str::trim) {
        Some(signature) if !signature.is_empty() => Ok(Some(signature.to_owned())),
        _ => Err(format!("clamd: unexpected reply {reply:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verify::fixtures::noise;

    #[test]
    fn clamd_replies_are_understood() {
        assert_eq!(parse_clamd_reply("stream: OK"), Ok(None));
        assert_eq!(
            parse_clamd_reply("stream: Win.Test.EICAR_HDB-1 FOUND"),
            Ok(Some("Win.Test.EICAR_HDB-1".into()))
        );
        assert!(parse_clamd_reply("INSTREAM size limit exceeded. ERROR").is_err());
        assert!(parse_clamd_reply("stream: Can't allocate memory ERROR").is_err());
        assert!(parse_clamd_reply("stream:  FOUND").is_err());
        assert!(parse_clamd_reply("PONG").is_err());
    }

    #[tokio::test]
    async fn clamd_scan_fails_quickly_when_nothing_listens() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        drop(listener);
        let started = std::time::Instant::now();
        let result = clamd_scan(&addr, b"hello").await;
        assert!(result.is_err(), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    /// A fake clamd that checks the INSTREAM framing and answers `reply` for the bytes it got.
    async fn fake_clamd(reply: &'static [u8]) -> (String, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut command = [0u8; 10];
            socket.read_exact(&mut command).await.unwrap();
            assert_eq!(&command, b"zINSTREAM\0");
            let mut received = Vec::new();
            loop {
                let len = socket.read_u32().await.unwrap() as usize;
                if len == 0 {
                    break;
                }
                assert!(len <= CLAMD_CHUNK);
                let start = received.len();
                received.resize(start + len, 0);
                socket.read_exact(&mut received[start..]).await.unwrap();
            }
            socket.write_all(reply).await.unwrap();
            received
        });
        (addr, server)
    }

    #[tokio::test]
    async fn clamd_scan_streams_the_bytes_and_reads_the_verdict() {
        let bytes = noise(3 * CLAMD_CHUNK + 17, 5);
        let (addr, server) = fake_clamd(b"stream: OK\0").await;
        assert_eq!(clamd_scan(&addr, &bytes).await, Ok(None));
        assert_eq!(server.await.unwrap(), bytes);

        let (addr, _server) = fake_clamd(b"stream: Eicar-Signature FOUND\0").await;
        assert_eq!(
            clamd_scan(&addr, b"X5O!P%@AP").await,
            Ok(Some("Eicar-Signature".into()))
        );

        let (addr, _server) = fake_clamd(b"stream: Can't allocate memory ERROR\0").await;
        assert!(clamd_scan(&addr, b"x").await.is_err());

        let (addr, _server) = fake_clamd(b"").await;
        assert!(clamd_scan(&addr, b"x").await.is_err());
    }

    #[tokio::test]
    async fn clamd_scan_gives_up_on_a_silent_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let _server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(socket);
        });
        let result = clamd_scan_within(&addr, b"x", Duration::from_millis(200)).await;
        assert!(result.unwrap_err().contains("no verdict"));
    }
}
