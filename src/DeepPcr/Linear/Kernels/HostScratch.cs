using System.Runtime.InteropServices;

namespace DeepPcr.Linear.Kernels;

/// <summary>
/// A per-thread, 64-byte aligned scratch buffer for the host solvers, reused from one solve to the next: a fresh
/// allocation above glibc's mmap threshold (128 KiB) is a new mapping whose pages fault in on first touch, which
/// were a visible part of a 1024-layer backward pass. Buffers up to <see cref="KeptBytes"/> stay with the thread;
/// larger ones are freed when the lease ends.
/// </summary>
internal sealed unsafe class HostScratch : IDisposable
{
    /// <summary>The largest buffer a thread keeps between solves.</summary>
    public const long KeptBytes = 64L << 20;

    [ThreadStatic] private static void* kept;
    [ThreadStatic] private static long keptBytes;

    private readonly void* buffer;
    private readonly long bytes;
    private readonly bool owned;

    private HostScratch(void* buffer, long bytes, bool owned)
    {
        this.buffer = buffer;
        this.bytes = bytes;
        this.owned = owned;
    }

    /// <summary>The buffer's start.</summary>
    public void* Pointer => buffer;

    /// <summary>Leases at least <paramref name="bytes"/> bytes, 64-byte aligned; dispose to end the lease. A lease taken while another is held on the same thread gets a buffer of its own.</summary>
    public static HostScratch Lease(long bytes)
    {
        bytes = Math.Max(bytes, 64);
        if (bytes > KeptBytes) return new HostScratch(NativeMemory.AlignedAlloc((nuint)bytes, 64), bytes, owned: true);
        // kept is null while an outer lease on this thread holds it: a nested lease then gets a buffer of its own.
        if (kept == null || keptBytes < bytes)
        {
            if (kept != null) NativeMemory.AlignedFree(kept);
            kept = NativeMemory.AlignedAlloc((nuint)bytes, 64);
            keptBytes = bytes;
        }
        void* lease = kept;
        kept = null;
        return new HostScratch(lease, keptBytes, owned: false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (owned)
        {
            NativeMemory.AlignedFree(buffer);
            return;
        }
        if (kept == null)
        {
            kept = buffer;
            keptBytes = bytes;
        }
        else
        {
            NativeMemory.AlignedFree(buffer);
        }
    }
}
