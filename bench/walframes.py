# Counts the frames of a WAL by B-tree: which tables and indexes a run of commits wrote.
# usage: python3 bench/walframes.py COPY/mamori.db   (the -wal beside it, left by a writer
# killed with SIGKILL, e.g. `appends` on a copy of bench/data/large; works on copies of both)
import struct, sys, sqlite3, shutil, collections, os
db = sys.argv[1]
wal = open(db + "-wal", "rb").read()
magic, ver, psz, ckseq, salt1, salt2, c1, c2 = struct.unpack(">IIIIIIII", wal[:32])
frames = []
off = 32
while off + 24 + psz <= len(wal):
    pg, commit, s1, s2 = struct.unpack(">IIII", wal[off:off+16])
    if (s1, s2) != (salt1, salt2):
        break
    frames.append((pg, commit))
    off += 24 + psz
commits = sum(1 for f in frames if f[1])
# keep only frames up to the last commit
last = max(i for i, f in enumerate(frames) if f[1])
frames = frames[: last + 1]
shutil.copy(db, "/tmp/wf.db"); shutil.copy(db + "-wal", "/tmp/wf.db-wal")
con = sqlite3.connect("/tmp/wf.db")
owner = dict(con.execute("select pageno, name from dbstat"))
by = collections.Counter(owner.get(pg, "?") for pg, _ in frames)
print(f"page size {psz}, frames {len(frames)}, commits {commits}, frames/commit {len(frames)/max(commits,1):.1f}")
for name, n in by.most_common(30):
    print(f"{name:40s} {n:7d} {100*n/len(frames):5.1f}%  {n/max(commits,1):6.1f}/commit")
