// cxx_threads.cc - std::thread joined, detached, and std::async: no alerts.
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>
int main()
{
    std::thread a([] { std::this_thread::sleep_for(std::chrono::milliseconds(5)); });
    a.join();
    std::thread b([] {});
    b.detach();
    auto f = std::async(std::launch::async, [] { return 42; });
    std::printf("%d\n", f.get());
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return 0;
}
