//! The QR code IAM returns as `QRCodePNG`: an `otpauth://totp/…` URI (the Key Uri Format every
//! authenticator app reads) drawn as a greyscale PNG.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use qrcode::{Color, QrCode};

use super::totp::{DIGITS, STEP_SECONDS};

/// The issuer authenticator apps show beside the code.
pub const ISSUER: &str = "iamd";
/// Pixels per QR module.
const SCALE: usize = 4;
/// Light modules around the code, as the QR standard asks.
const QUIET_ZONE: usize = 4;

/// `otpauth://totp/ISSUER:LABEL?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`.
#[must_use]
pub fn otpauth_uri(label: &str, base32_seed: &str) -> String {
    let issuer = utf8_percent_encode(ISSUER, NON_ALPHANUMERIC);
    let label = utf8_percent_encode(label, NON_ALPHANUMERIC);
    format!(
        "otpauth://totp/{issuer}:{label}?secret={base32_seed}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
    )
}

/// `text` as a QR code in a PNG (8-bit greyscale, black on white).
///
/// # Errors
/// When `text` is too long for a QR code, or the PNG cannot be written.
pub fn png(text: &str) -> Result<Vec<u8>, String> {
    let code = QrCode::new(text.as_bytes()).map_err(|e| format!("QR code: {e}"))?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let mut pixels = vec![0xFFu8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for y in my * SCALE..(my + 1) * SCALE {
            pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
        }
    }
    let side32 = u32::try_from(side).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side32, side32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&pixels).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_decodes_back_to_the_otpauth_uri() {
        let uri = otpauth_uri("alice-phone@000000000000", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            uri,
            "otpauth://totp/iamd:alice%2Dphone%40000000000000?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=iamd&algorithm=SHA1&digits=6&period=30"
        );
        let bytes = png(&uri).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let (w, h) = (info.width as usize, info.height as usize);
        assert_eq!(w, h);
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, uri);
    }
}
