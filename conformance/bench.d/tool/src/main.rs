//! bench-tool, the compiled half of conformance/bench.
//!
//! `bench-tool ceiling [--listen ADDR]` reads `KEY_ID SECRET` lines on stdin until EOF, then
//! serves HTTP/1 on ADDR (default 127.0.0.1:0), prints `AWS_ENDPOINT_URL=http://ADDR` and
//! answers every correctly signed request with a small fixed XML document. It does the work a
//! SigV4-verified read needs and nothing else: parse Authorization, check the date and scope,
//! look up the secret, build the canonical request, hash it and the body, build the string to
//! sign, HMAC it with a cached derived signing key, compare in constant time.
//!
//! `bench-tool writes --endpoint URL --clients N --duration SECS --key-id ID --secret S
//! --user-prefix P` runs N clients, client i looping CreateAccessKey → DeleteAccessKey on user
//! `P{i}` over its own keep-alive connection, signing each request itself. It prints one JSON
//! object: acknowledged pairs, creates per second, p50/p99 of CreateAccessKey, errors.

mod sigv4;

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use subtle::ConstantTimeEq;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

const MAX_BODY_BYTES: usize = 1 << 20;
const MAX_SKEW_SECS: i64 = 15 * 60;
/// How long `writes` waits for one answer before it gives up on the server.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("usage: bench-tool ceiling [--listen ADDR] | writes --endpoint URL ...");
        return ExitCode::from(2);
    };
    let opts = match parse_opts(rest) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench-tool: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let result = match cmd.as_str() {
        "ceiling" => runtime.block_on(ceiling(&opts)),
        "writes" => runtime.block_on(writes(&opts)),
        other => Err(format!("unknown subcommand {other:?}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-tool: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_opts(args: &[String]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let name = a.strip_prefix("--").ok_or_else(|| format!("unexpected argument {a:?}"))?;
        let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
        out.insert(name.to_owned(), value.clone());
    }
    Ok(out)
}

fn opt<'a>(opts: &'a HashMap<String, String>, name: &str) -> Result<&'a str, String> {
    opts.get(name).map(String::as_str).ok_or_else(|| format!("--{name} is required"))
}

// ---------------------------------------------------------------------------------------------
// ceiling

/// (key id, date, region, service).
type Scope = (String, String, String, String);

struct Ceiling {
    secrets: HashMap<String, String>,
    /// Scope → derived signing key, as iamd caches them.
    signing_keys: Mutex<HashMap<Scope, [u8; 32]>>,
}

const FIXED_XML: &str = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
<GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:user/ceiling</Arn>\
<UserId>AIDACEILINGCEILING000</UserId><Account>000000000000</Account></GetCallerIdentityResult>\
<ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ResponseMetadata>\
</GetCallerIdentityResponse>";

async fn ceiling(opts: &HashMap<String, String>) -> Result<(), String> {
    let listen: SocketAddr =
        opts.get("listen").map_or("127.0.0.1:0", String::as_str).parse().map_err(|e| format!("--listen: {e}"))?;
    let mut input = String::new();
    tokio::io::stdin().read_to_string(&mut input).await.map_err(|e| format!("reading keys from stdin: {e}"))?;
    let secrets: HashMap<String, String> = input
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(k, s)| (k.trim().to_owned(), s.trim().to_owned())))
        .collect();
    let state = Arc::new(Ceiling { secrets, signing_keys: Mutex::new(HashMap::new()) });
    let listener = TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("AWS_ENDPOINT_URL=http://{addr}");
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let state = state.clone();
        let service = service_fn(move |req| handle(state.clone(), req));
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(30))
            .max_buf_size(64 * 1024)
            .serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}

async fn handle(state: Arc<Ceiling>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == "/healthz" && req.method() == hyper::Method::GET {
        return Ok(reply(StatusCode::OK, "text/plain", Bytes::from_static(b"ok\n")));
    }
    let (parts, body) = req.into_parts();
    let Ok(body) = Limited::new(body, MAX_BODY_BYTES).collect().await.map(http_body_util::Collected::to_bytes) else {
        return Ok(error(StatusCode::BAD_REQUEST, "InvalidHttpRequest"));
    };
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or_default();
    Ok(match verify(&state, parts.method.as_str(), path, query, &parts.headers, &body) {
        Ok(()) => reply(StatusCode::OK, "text/xml", Bytes::from_static(FIXED_XML.as_bytes())),
        Err(code) => error(StatusCode::FORBIDDEN, code),
    })
}

fn verify(
    state: &Ceiling,
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), &'static str> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let auth = header("authorization").ok_or("MissingAuthenticationToken")?;
    let auth = sigv4::parse_authorization(auth).ok_or("IncompleteSignature")?;
    let amz_date = header("x-amz-date").ok_or("IncompleteSignature")?;
    let when = sigv4::parse_amz_date(amz_date).ok_or("IncompleteSignature")?;
    if (sigv4::now_secs() - when).abs() > MAX_SKEW_SECS {
        return Err("RequestTimeTooSkewed");
    }
    if !amz_date.starts_with(auth.date) || auth.date.len() != 8 {
        return Err("SignatureDoesNotMatch");
    }
    let secret = state.secrets.get(auth.key_id).ok_or("InvalidClientTokenId")?;

    let mut canonical = String::with_capacity(512);
    canonical.push_str(method);
    canonical.push('\n');
    canonical.push_str(&sigv4::canonical_uri(path));
    canonical.push('\n');
    canonical.push_str(&sigv4::canonical_query(query));
    canonical.push('\n');
    for name in auth.signed_headers.split(';') {
        canonical.push_str(name);
        canonical.push(':');
        let mut first = true;
        for v in headers.get_all(name) {
            if !first {
                canonical.push(',');
            }
            first = false;
            sigv4::push_trimmed(&mut canonical, v.to_str().map_err(|_| "SignatureDoesNotMatch")?);
        }
        if first {
            return Err("SignatureDoesNotMatch"); // a signed header that is not there
        }
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(auth.signed_headers);
    canonical.push('\n');
    canonical.push_str(&sigv4::sha256_hex(body));

    let mut to_sign = String::with_capacity(160);
    let _ = write!(
        to_sign,
        "{}\n{amz_date}\n{}/{}/{}/{}\n{}",
        sigv4::ALGORITHM,
        auth.date,
        auth.region,
        auth.service,
        sigv4::TERMINATOR,
        sigv4::sha256_hex(canonical.as_bytes())
    );

    let cache_key = (auth.key_id.to_owned(), auth.date.to_owned(), auth.region.to_owned(), auth.service.to_owned());
    let cached = state.signing_keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&cache_key).copied();
    let key = match cached {
        Some(k) => k,
        None => {
            let k = sigv4::signing_key(secret, auth.date, auth.region, auth.service);
            state.signing_keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(cache_key, k);
            k
        }
    };
    let expected = hex::encode(sigv4::hmac_sha256(&key, to_sign.as_bytes()));
    if bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) { Ok(()) } else { Err("SignatureDoesNotMatch") }
}

fn reply(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert("x-amzn-requestid", HeaderValue::from_static("00000000-0000-4000-8000-000000000000"));
    r
}

fn error(status: StatusCode, code: &str) -> Response<Full<Bytes>> {
    let body = format!(
        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code></Error>\
         <RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>"
    );
    reply(status, "text/xml", Bytes::from(body))
}

// ---------------------------------------------------------------------------------------------
// writes

struct Signer {
    key_id: String,
    secret: String,
    session_token: Option<String>,
    region: String,
    host: String,
}

impl Signer {
    /// A signed `POST /` to IAM with a form body, as botocore sends it.
    fn request(&self, body: String) -> Request<Full<Bytes>> {
        const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
        let amz_date = sigv4::amz_date_now();
        let date = &amz_date[..8];
        let mut signed = String::from("content-type;host;x-amz-date");
        let mut canonical =
            format!("POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{}\nx-amz-date:{amz_date}\n", self.host);
        if let Some(t) = &self.session_token {
            let _ = writeln!(canonical, "x-amz-security-token:{t}");
            signed.push_str(";x-amz-security-token");
        }
        let _ = write!(canonical, "\n{signed}\n{}", sigv4::sha256_hex(body.as_bytes()));
        let scope = format!("{date}/{}/iam/{}", self.region, sigv4::TERMINATOR);
        let to_sign = format!("{}\n{amz_date}\n{scope}\n{}", sigv4::ALGORITHM, sigv4::sha256_hex(canonical.as_bytes()));
        let key = sigv4::signing_key(&self.secret, date, &self.region, "iam");
        let signature = hex::encode(sigv4::hmac_sha256(&key, to_sign.as_bytes()));
        let mut b = Request::builder()
            .method("POST")
            .uri("/")
            .header("host", &self.host)
            .header("content-type", CONTENT_TYPE)
            .header("x-amz-date", &amz_date)
            .header(
                "authorization",
                format!(
                    "{} Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
                    sigv4::ALGORITHM,
                    self.key_id
                ),
            );
        if let Some(t) = &self.session_token {
            b = b.header("x-amz-security-token", t);
        }
        b.body(Full::new(Bytes::from(body))).expect("valid request")
    }
}

/// One keep-alive HTTP/1 connection, reopened when the server closes it.
struct Conn {
    addr: String,
    sender: Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>>,
}

impl Conn {
    async fn connect(&mut self) -> Result<(), String> {
        let stream = TcpStream::connect(&self.addr).await.map_err(|e| format!("connect {}: {e}", self.addr))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        self.sender = Some(sender);
        Ok(())
    }

    async fn send(&mut self, make: impl Fn() -> Request<Full<Bytes>>) -> Result<(u16, Bytes), String> {
        for attempt in 0..2 {
            let usable = match self.sender.as_mut() {
                Some(s) => s.ready().await.is_ok(),
                None => false,
            };
            if !usable {
                self.connect().await?;
            }
            let sender = self.sender.as_mut().expect("connected");
            match sender.send_request(make()).await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
                    return Ok((status, body));
                }
                Err(e) if attempt == 0 && (e.is_closed() || e.is_canceled() || e.is_incomplete_message()) => {
                    self.sender = None;
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        Err("connection closed twice".into())
    }
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(&text[start..start + len])
}

#[derive(Default)]
struct ClientResult {
    pairs: u64,
    create_us: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

async fn write_client(signer: Arc<Signer>, addr: String, user: String, deadline: Instant) -> ClientResult {
    let mut out = ClientResult::default();
    let mut conn = Conn { addr, sender: None };
    let create = format!("Action=CreateAccessKey&UserName={user}&Version=2010-05-08");
    let fail = |out: &mut ClientResult, what: String| {
        out.errors += 1;
        if out.first_error.is_none() {
            out.first_error = Some(what);
        }
    };
    while Instant::now() < deadline {
        let started = Instant::now();
        let Ok(created) = tokio::time::timeout(ANSWER_TIMEOUT, conn.send(|| signer.request(create.clone()))).await
        else {
            fail(&mut out, format!("CreateAccessKey: no answer within {} s", ANSWER_TIMEOUT.as_secs()));
            break; // the server is stuck; waiting on it again would only stall this run
        };
        let elapsed = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let key_id = match created {
            Ok((200, body)) => match between(&String::from_utf8_lossy(&body), "<AccessKeyId>", "</AccessKeyId>") {
                Some(id) => id.to_owned(),
                None => {
                    fail(&mut out, "CreateAccessKey answered 200 without an AccessKeyId".into());
                    continue;
                }
            },
            Ok((status, body)) => {
                fail(&mut out, format!("CreateAccessKey: HTTP {status}: {}", String::from_utf8_lossy(&body)));
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => {
                fail(&mut out, format!("CreateAccessKey: {e}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        out.create_us.push(elapsed);
        let delete = format!("AccessKeyId={key_id}&Action=DeleteAccessKey&UserName={user}&Version=2010-05-08");
        let Ok(deleted) = tokio::time::timeout(ANSWER_TIMEOUT, conn.send(|| signer.request(delete.clone()))).await
        else {
            fail(&mut out, format!("DeleteAccessKey: no answer within {} s", ANSWER_TIMEOUT.as_secs()));
            break;
        };
        match deleted {
            Ok((200, _)) => out.pairs += 1,
            Ok((status, body)) => {
                fail(&mut out, format!("DeleteAccessKey: HTTP {status}: {}", String::from_utf8_lossy(&body)));
            }
            Err(e) => fail(&mut out, format!("DeleteAccessKey: {e}")),
        }
    }
    out
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    #[allow(clippy::cast_precision_loss)]
    let v = sorted[rank.min(sorted.len()) - 1] as f64;
    v / 1000.0
}

async fn writes(opts: &HashMap<String, String>) -> Result<(), String> {
    let endpoint = opt(opts, "endpoint")?;
    let host = endpoint.strip_prefix("http://").ok_or("--endpoint must be http://HOST:PORT")?.trim_end_matches('/');
    let clients: usize = opt(opts, "clients")?.parse().map_err(|e| format!("--clients: {e}"))?;
    let duration: f64 = opt(opts, "duration")?.parse().map_err(|e| format!("--duration: {e}"))?;
    let prefix = opt(opts, "user-prefix")?;
    let signer = Arc::new(Signer {
        key_id: opt(opts, "key-id")?.to_owned(),
        secret: opt(opts, "secret")?.to_owned(),
        session_token: opts.get("session-token").cloned(),
        region: opts.get("region").cloned().unwrap_or_else(|| "us-east-1".into()),
        host: host.to_owned(),
    });
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(duration);
    let tasks: Vec<_> = (0..clients)
        .map(|i| tokio::spawn(write_client(signer.clone(), host.to_owned(), format!("{prefix}{i}"), deadline)))
        .collect();
    let mut total = ClientResult::default();
    for t in tasks {
        let r = t.await.map_err(|e| e.to_string())?;
        total.pairs += r.pairs;
        total.errors += r.errors;
        total.create_us.extend(r.create_us);
        if total.first_error.is_none() {
            total.first_error = r.first_error;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    total.create_us.sort_unstable();
    #[allow(clippy::cast_precision_loss)]
    let (creates, pairs) = (total.create_us.len() as f64, total.pairs as f64);
    println!(
        "{{\"clients\":{clients},\"seconds\":{secs:.3},\"creates\":{},\"pairs\":{},\"creates_per_s\":{:.1},\
         \"pairs_per_s\":{:.1},\"create_p50_ms\":{:.3},\"create_p99_ms\":{:.3},\"errors\":{},\"first_error\":{}}}",
        total.create_us.len(),
        total.pairs,
        creates / secs,
        pairs / secs,
        percentile(&total.create_us, 50.0),
        percentile(&total.create_us, 99.0),
        total.errors,
        total.first_error.as_deref().map_or_else(|| "null".to_owned(), json_string),
    );
    Ok(())
}
