# subproc.py - Python starting programs with subprocess (which uses vfork or
# posix_spawn where it can), one of which does not exist, for
# tests/run_real_programs.sh. Deterministic output, exit status 0.
import subprocess

r = subprocess.run(["true"])
print("true:", r.returncode)
r = subprocess.run(["cat"], input=b"piped through cat\n", stdout=subprocess.PIPE)
print("cat:", r.returncode, r.stdout.decode().strip())
try:
    subprocess.run(["/nonexistent/leaktrace-test-program"])
    print("missing program: ran?!")
except FileNotFoundError as e:
    print("missing program: FileNotFoundError", e.errno)
data = {str(i): [i] * (i % 7) for i in range(5000)}
print("after:", len(data), sum(len(v) for v in data.values()))
