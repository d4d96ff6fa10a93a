# threads.py - a small multi-threaded Python workload for
# tests/run_real_programs.sh: a few threads doing dict/list/str work, each
# writing into its own slot; the main thread prints the results in a fixed
# order, so stdout is deterministic.
import threading

N_THREADS = 4
results = [None] * N_THREADS


def work(slot):
    d = {}
    for i in range(4000):
        key = "k%d-%d" % (slot, i % 997)
        d.setdefault(key, []).append(i * (slot + 1))
    lists = [sorted(v, reverse=True)[:3] for v in d.values()]
    words = " ".join("w%d" % (x % 101) for x in range(2000)).split()
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    results[slot] = (len(d), sum(sum(l) for l in lists), len(counts), max(counts.values()))


threads = [threading.Thread(target=work, args=(s,)) for s in range(N_THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for s, r in enumerate(results):
    print("thread %d: keys=%d sum=%d words=%d max=%d" % ((s,) + r))
