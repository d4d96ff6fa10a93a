// pprof_cxx.cpp - test program of tests/profiles/pprof.sh: a C++ method
// that leaks 5 objects of 256 bytes with operator new; its name must reach
// pprof demangled: Widget::grow(int), not _ZN6Widget4growEi.
#include <cstddef>

struct Block {
    char data[256];
};

class Widget {
public:
    __attribute__((noinline)) void grow(int n);
    Block *kept[8];
};

void Widget::grow(int n)
{
    for (int i = 0; i < n; i++) {
        kept[i] = new Block();
        kept[i]->data[0] = static_cast<char>(i);
    }
}

Widget *global_widget;

int main()
{
    global_widget = new Widget();
    global_widget->grow(5);
    return 0;
}
