using DeepPcr.Linear.Kernels;

namespace DeepPcr.Tests;

/// <summary>
/// The per-thread scratch buffers of the host kernels: a lease taken inside another on the same thread gets a
/// buffer of its own (it once got a null pointer when the thread's kept buffer was large enough but leased out),
/// and leases are 64-byte aligned and writable to their full size.
/// </summary>
public class HostScratchTests
{
    [Fact]
    public unsafe void NestedLeasesGetDistinctWritableBuffers()
    {
        using (HostScratch.Lease(4096)) { } // the thread now keeps a 4 KiB buffer
        using var outer = HostScratch.Lease(1024);
        using var inner = HostScratch.Lease(1024);
        Assert.True(outer.Pointer != null && inner.Pointer != null);
        Assert.True(outer.Pointer != inner.Pointer);
        Assert.Equal(0L, (long)inner.Pointer % 64);
        new Span<byte>(outer.Pointer, 1024).Fill(1);
        new Span<byte>(inner.Pointer, 1024).Fill(2);
        Assert.Equal(1, ((byte*)outer.Pointer)[1023]);
        Assert.Equal(2, ((byte*)inner.Pointer)[0]);
    }
}
