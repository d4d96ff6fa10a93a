// cxx_exceptions.cc - C++ exceptions thrown through frames that allocated:
// for tests/run_matrix.sh. Each of 7 rounds goes 5 frames deep; every frame
// owns a std::vector and a std::unique_ptr (freed by the unwinder), and the
// deepest one makes a raw `new char[1001]` that nobody frees, then throws.
// The exception objects (std::runtime_error with a long message) are freed
// when caught. Expected leaks: exactly 7 blocks of 1001 bytes, allocated in
// leak_then_throw; nothing else.
// Prints "caught 7 sum N" and exits 0.
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

static char *volatile sink;

__attribute__((noinline)) static void leak_then_throw(int round)
{
    sink = new char[1001];            // never freed: the expected leak
    sink[0] = (char)round;
    throw std::runtime_error(std::string(200, 'x') + " round " + std::to_string(round));
}

__attribute__((noinline)) static long descend(int depth, int round)
{
    std::vector<long> v((size_t)(64 + depth * 16), depth);   // freed by unwinding
    std::unique_ptr<int[]> u(new int[37 + depth]);           // freed by unwinding
    u[0] = depth;
    if (depth == 0) leak_then_throw(round);
    return descend(depth - 1, round) + v[0] + u[0];
}

int main()
{
    int caught = 0;
    long sum = 0;
    for (int round = 0; round < 7; round++) {
        try {
            sum += descend(4, round);
        } catch (const std::runtime_error &e) {
            caught++;
            sum += (long)std::string(e.what()).size();
        }
    }
    std::printf("caught %d sum %ld\n", caught, sum);
    return caught == 7 ? 0 : 1;
}
