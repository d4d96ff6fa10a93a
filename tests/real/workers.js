// workers.js - node with a worker thread, for tests/run_matrix.sh: the main
// thread and a worker build and sort objects, JSON round trips, Maps and
// strings (V8's own GC and compiler threads run as well). Deterministic
// output; exit status 0.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

function work(seed, n) {
    let x = seed, objs = [];
    for (let i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) % 2147483648;
        objs.push({ id: i, key: 'k' + (x % 9973), val: x % 1000, tags: [x % 7, x % 11] });
    }
    objs.sort((a, b) => a.val - b.val || a.id - b.id);
    const m = new Map();
    for (const o of objs) m.set(o.key, (m.get(o.key) || 0) + o.val);
    const back = JSON.parse(JSON.stringify(objs));
    let sum = 0;
    for (const [k, v] of m) sum = (sum + v * k.length) % 1000000007;
    return `n=${back.length} keys=${m.size} first=${back[0].key} sum=${sum}`;
}

if (isMainThread) {
    const w = new Worker(__filename, { workerData: { seed: 7, n: 150000 } });
    const mine = work(3, 150000);
    w.on('message', (msg) => {
        console.log('main:   ' + mine);
        console.log('worker: ' + msg);
    });
    w.on('error', (e) => { console.error('worker failed: ' + e); process.exitCode = 1; });
} else {
    parentPort.postMessage(work(workerData.seed, workerData.n));
}
