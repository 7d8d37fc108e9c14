'use strict';
// Minimal multipart/form-data parser (enough to extract the `profile` part
// that @pyroscope/nodejs <= 0.6.1 sends).
function parseMultipart(body, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType || '');
  if (!m) throw new Error('no boundary in content-type: ' + contentType);
  const boundary = Buffer.from('--' + (m[1] || m[2]).trim());
  const parts = [];
  let pos = body.indexOf(boundary);
  while (pos !== -1) {
    let start = pos + boundary.length;
    if (body.subarray(start, start + 2).toString() === '--') break; // closing boundary
    start += 2; // CRLF after boundary
    const headerEnd = body.indexOf('\r\n\r\n', start);
    if (headerEnd === -1) throw new Error('unterminated part headers');
    const headers = body.subarray(start, headerEnd).toString('utf8');
    const next = body.indexOf(boundary, headerEnd + 4);
    if (next === -1) throw new Error('missing closing boundary');
    const data = body.subarray(headerEnd + 4, next - 2); // strip CRLF before boundary
    const disp = /content-disposition:([^\r\n]*)/i.exec(headers);
    const name = disp && /\bname="([^"]*)"/i.exec(disp[1]);
    const filename = disp && /\bfilename="([^"]*)"/i.exec(disp[1]);
    const ctype = /content-type:\s*([^\r\n]*)/i.exec(headers);
    parts.push({
      headers,
      name: name ? name[1] : null,
      filename: filename ? filename[1] : null,
      contentType: ctype ? ctype[1].trim() : null,
      data,
    });
    pos = next;
  }
  return parts;
}
module.exports = { parseMultipart };
