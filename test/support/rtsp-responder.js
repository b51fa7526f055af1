'use strict';
// A small RTSP camera for tests with a real ffmpeg: OPTIONS, DESCRIBE behind Basic auth (401 first, as cameras
// do), SETUP and PLAY with RTP over the RTSP connection (interleaved TCP), streaming an MPEG-TS clip as RTP
// payload type 33, once. It records every Authorization it was sent, decoded, to check that credentials arrive,
// and the Transport each SETUP asks for (state.transports).
const net = require('net');
const { spawnSync } = require('child_process');

const CLIP_SECONDS = 60;

/**
 * An MPEG-TS clip from ffmpeg's test source: what the responder streams, in real time. Long enough that a
 * test never sees it loop (its timestamps would jump back and ffmpeg's fps filter drop frames meanwhile).
 */
function makeTsClip(ffmpeg = 'ffmpeg') {
  const args = ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=5', '-t', String(CLIP_SECONDS), '-c:v', 'mpeg2video', '-b:v', '100k', '-g', '5', '-f', 'mpegts', 'pipe:1'];
  const r = spawnSync(ffmpeg, args, { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ffmpeg could not make the TS clip: ${r.stderr}`);
  return r.stdout;
}

function rtpPacket(seq, payload) {
  const rtp = Buffer.alloc(16);
  rtp.writeUInt8(0x24, 0); // '$': interleaved data
  rtp.writeUInt8(0, 1); // channel 0
  rtp.writeUInt16BE(12 + payload.length, 2);
  rtp.writeUInt8(0x80, 4); // RTP version 2
  rtp.writeUInt8(33, 5); // MP2T
  rtp.writeUInt16BE(seq & 0xffff, 6);
  rtp.writeUInt32BE((Date.now() * 90) >>> 0, 8);
  rtp.writeUInt32BE(0x5eed, 12);
  return Buffer.concat([rtp, payload]);
}

/** Starts the responder; resolves with {port, url(path), auths, describes, close()}. */
function startRtspResponder({ user, password, ts }) {
  const expected = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  const auths = [];
  const sockets = new Set();
  const state = { describes: 0, playing: 0, transports: [] };
  const server = net.createServer((sock) => {
    sockets.add(sock);
    let buf = '';
    let timer;
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearInterval(timer);
      sockets.delete(sock);
    });
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const req = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const method = req.split(' ')[0];
        const cseq = (/^CSeq:\s*(\d+)/im.exec(req) || [])[1] || '0';
        const auth = (/^Authorization:\s*(.*)$/im.exec(req) || [])[1];
        if (auth) auths.push(auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : auth);
        const reply = (status, headers = '', body = '') => sock.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\n${headers}${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`);
        if (method === 'OPTIONS') {
          reply('200 OK', 'Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN\r\n');
        } else if (auth !== expected) {
          reply('401 Unauthorized', 'WWW-Authenticate: Basic realm="camera"\r\n');
        } else if (method === 'DESCRIBE') {
          state.describes++;
          const base = `rtsp://127.0.0.1:${server.address().port}/live/`;
          const sdp = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=test\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=video 0 RTP/AVP 33\r\na=rtpmap:33 MP2T/90000\r\na=control:track1\r\n';
          reply('200 OK', `Content-Type: application/sdp\r\nContent-Base: ${base}\r\n`, sdp);
        } else if (method === 'SETUP') {
          state.transports.push((/^Transport:\s*(.*)$/im.exec(req) || [])[1]);
          reply('200 OK', 'Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\nSession: 5eed5eed\r\n');
        } else if (method === 'PLAY') {
          state.playing++;
          reply('200 OK', 'Session: 5eed5eed\r\n');
          const started = Date.now();
          const chunk = 188 * 7; // TS packets per RTP packet
          let offset = 0;
          let seq = 0;
          // At the clip's own rate, so that its timestamps keep pace with the clock.
          timer = setInterval(() => {
            const due = Math.min(ts.length, Math.ceil(((Date.now() - started) / 1000 / CLIP_SECONDS) * ts.length / chunk) * chunk);
            for (; offset < due; offset += chunk) sock.write(rtpPacket(seq++, ts.subarray(offset, offset + chunk)));
          }, 40);
        } else {
          reply('200 OK', 'Session: 5eed5eed\r\n');
        }
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = server.address().port;
      resolve({
        port,
        auths,
        state,
        close: () => new Promise((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}

module.exports = { startRtspResponder, makeTsClip };
