//! One attempt at one endpoint: wait for its limits, send, and read the answer up to the cap,
//! telling from its status and body what went wrong. An Electrum endpoint is sent the body as a
//! message on its connection instead (`electrum`).

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::{Ask, EndpointPool, Failure, NO_SUCH_PATH, under};

/// The longest Retry-After believed: a larger one (even 2^64 − 1 seconds) is read as this, the
/// longest the schedule backs off for.
const LONGEST_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

impl EndpointPool {
    /// Asks endpoint `index` once, ending by `deadline`, and hands a whole answer to `read`.
    pub(super) async fn attempt<T>(
        &self,
        index: usize,
        ask: Ask<'_>,
        read: &impl Fn(usize, &[u8]) -> Result<T, Failure>,
        deadline: Instant,
    ) -> Result<T, Failure> {
        let endpoint = &self.endpoints[index];
        if let Some(wait) = endpoint.cooling_for() {
            if Instant::now() + wait >= deadline {
                return Err(Failure::RateLimited(Some(wait)));
            }
            tokio::time::sleep(wait).await;
        }
        endpoint.limiter.until_ready().await;
        if let Some(limiter) = &endpoint.method_limiter {
            for method in ask.methods {
                limiter.until_key_ready(method).await;
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::TimedOut);
        }
        let cap = if ask.large_answer {
            self.policy.max_large_answer_bytes
        } else {
            self.policy.max_answer_bytes
        };
        if let Some(link) = &endpoint.electrum {
            let message = ask.body.ok_or_else(|| {
                Failure::Refused("an Electrum server is asked JSON-RPC only".into())
            })?;
            let until = Instant::now() + self.policy.timeout.min(left);
            let answer = link.exchange(message, cap, until, &self.requests).await?;
            return read(index, &answer);
        }
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let url = under(&endpoint.url, ask.path);
        let mut request = match ask.body {
            Some(body) => self
                .http
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_vec()),
            None => self.http.get(url),
        }
        .timeout(self.policy.timeout.min(left));
        if let Some((header, key)) = endpoint.credential.get() {
            request = request.header(header, key);
        }
        let response = request
            .send()
            .await
            .map_err(|err| classify_send_error(&err))?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(parse_retry_after);
            if let Some(wait) = retry_after {
                endpoint.cool_down(wait);
            }
            return Err(Failure::RateLimited(retry_after));
        }
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return Err(Failure::TooLarge("HTTP 413 payload too large".into()));
        }
        if matches!(
            status,
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
        ) {
            return Err(Failure::Refused(format!("{NO_SUCH_PATH} (HTTP {status})")));
        }
        if status.is_redirection() {
            return Err(Failure::Refused(format!(
                "HTTP {status}: it redirects elsewhere, and redirects are not followed"
            )));
        }
        let body = read_capped(response, cap).await?;
        match status {
            status if status.is_success() => read(index, &body),
            status if status.is_server_error() => Err(Failure::Transient(format!("HTTP {status}"))),
            // Some endpoints answer a JSON-RPC error (such as "batch too large") with a 4xx status.
            status => {
                read(index, &body).and_then(|_| Err(Failure::Refused(format!("HTTP {status}"))))
            }
        }
    }
}

/// The answer's body, read as it streams in, up to `cap` bytes: a larger answer is dropped (and
/// its connection with it) as soon as it shows, never held whole.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Vec<u8>, Failure> {
    let announced = response.content_length().unwrap_or(0);
    if announced > cap as u64 {
        return Err(Failure::Oversized(cap));
    }
    let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(cap).min(cap));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| classify_send_error(&err))?
    {
        if body.len() + chunk.len() > cap {
            return Err(Failure::Oversized(cap));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn classify_send_error(err: &reqwest::Error) -> Failure {
    if err.is_timeout() {
        Failure::TimedOut
    } else if err.is_body() || err.is_decode() {
        Failure::Garbled("the answer was cut off".into())
    } else if err.is_connect() {
        // Connection refused, DNS: say so without the URL (the pool names the endpoint).
        Failure::Down("cannot connect".into())
    } else {
        Failure::Transient("request failed".into())
    }
}

/// Retry-After in seconds or as an HTTP date, at most an hour.
fn parse_retry_after(value: &reqwest::header::HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    let wait = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds.min(LONGEST_RETRY_AFTER.as_secs())),
        Err(_) => {
            let at = httpdate::parse_http_date(text).ok()?;
            at.duration_since(std::time::SystemTime::now())
                .unwrap_or_default()
        }
    };
    Some(wait.min(LONGEST_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let seconds = reqwest::header::HeaderValue::from_static("7");
        assert_eq!(parse_retry_after(&seconds), Some(Duration::from_secs(7)));
        let past = reqwest::header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after(&reqwest::header::HeaderValue::from_static("soon")),
            None
        );
    }

    #[test]
    fn retry_after_is_clamped_to_an_hour() {
        for text in [
            "18446744073709551615",
            "3601",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            let value = reqwest::header::HeaderValue::from_str(text).unwrap();
            assert_eq!(
                parse_retry_after(&value),
                Some(LONGEST_RETRY_AFTER),
                "{text}"
            );
        }
    }
}
