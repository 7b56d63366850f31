// The header check's program: if it links, every public header compiled alone.
int main() { return 0; }
