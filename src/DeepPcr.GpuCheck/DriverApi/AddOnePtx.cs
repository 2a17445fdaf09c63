namespace DeepPcr.GpuCheck.DriverApi;

/// <summary>
/// A hand-written PTX kernel for the raw driver-API route: <c>add_one(u32* data, u32 n)</c> adds
/// one to each of the n elements, one thread per element.
/// </summary>
public static class AddOnePtx
{
    /// <summary>The kernel's entry name.</summary>
    public const string EntryName = "add_one";

    /// <summary>Threads per block used to launch it.</summary>
    public const int BlockSize = 256;

    /// <summary>The PTX text for one PTX ISA version and target.</summary>
    /// <param name="isaVersion">For example "8.0".</param>
    /// <param name="target">For example "sm_90".</param>
    /// <returns>The module text (the driver wants it NUL-terminated; the caller adds the NUL).</returns>
    public static string Source(string isaVersion, string target) => $$"""
        .version {{isaVersion}}
        .target {{target}}
        .address_size 64

        .visible .entry {{EntryName}}(
            .param .u64 p_data,
            .param .u32 p_n
        )
        {
            .reg .pred %p<2>;
            .reg .b32 %r<8>;
            .reg .b64 %rd<5>;

            ld.param.u64 %rd1, [p_data];
            ld.param.u32 %r1, [p_n];
            mov.u32 %r2, %ctaid.x;
            mov.u32 %r3, %ntid.x;
            mov.u32 %r4, %tid.x;
            mad.lo.s32 %r5, %r2, %r3, %r4;
            setp.ge.u32 %p1, %r5, %r1;
            @%p1 bra DONE;
            cvta.to.global.u64 %rd2, %rd1;
            mul.wide.u32 %rd3, %r5, 4;
            add.s64 %rd4, %rd2, %rd3;
            ld.global.u32 %r6, [%rd4];
            add.s32 %r7, %r6, 1;
            st.global.u32 [%rd4], %r7;
        DONE:
            ret;
        }

        """;

    /// <summary>
    /// The (ISA version, target) pairs tried in order for a device of compute capability
    /// <paramref name="major"/>.<paramref name="minor"/>: its own target, then sm_52 with PTX ISA 7.0,
    /// which the driver JIT-compiles for any newer device.
    /// </summary>
    /// <param name="major">Compute capability, major.</param>
    /// <param name="minor">Compute capability, minor.</param>
    /// <returns>The candidates.</returns>
    public static IReadOnlyList<(string IsaVersion, string Target)> Candidates(int major, int minor)
    {
        int cc = 10 * major + minor;
        string isa = cc >= 100 ? "8.8" : cc >= 89 ? "8.0" : cc >= 86 ? "7.8" : "7.0";
        var own = (isa, $"sm_{major}{minor}");
        var generic = ("7.0", "sm_52");
        return cc > 52 ? [own, generic] : [generic];
    }
}
