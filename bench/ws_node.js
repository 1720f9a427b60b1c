// Node peer for bench/ws_bench.py: the ws package's echo on /echo (Debian's node-ws).
const WebSocket = require("/usr/share/nodejs/ws");

const server = new WebSocket.Server({ host: "127.0.0.1", port: Number(process.argv[2]), path: "/echo" });
server.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
