namespace DeepPcr.Linear;

/// <summary>Which hand-written host kernel <see cref="ParallelCyclicReduction.SolveOnHost(LinearRecurrence, HostPcrKernel)"/> runs.</summary>
public enum HostPcrKernel
{
    /// <summary>The fastest that applies: the tiled kernel for dense blocks up to w = 64 where the CPU has AVX-512, else the row-major kernel.</summary>
    Fastest,

    /// <summary>The row-major kernel (any CPU, any structure and width): blocks as TorchSharp lays them out.</summary>
    RowMajor,

    /// <summary>The tiled AVX-512 kernel (dense blocks, w &lt;= 64, CPUs with AVX-512).</summary>
    Tiled,
}
