namespace DeepPcr.Solvers;

/// <summary>Which engine carried out a solve: the backend of the Newton loop (or of the adjoint solve) that ran.</summary>
public enum ChainEngine
{
    /// <summary>TorchSharp operations: any device and dtype, differentiable, a framework call per operation.</summary>
    Torch,

    /// <summary>The host kernels: CPU float32/float64 in hand-written kernels, no framework call inside the loop.</summary>
    Host,

    /// <summary>The ILGPU device engine (src/DeepPcr.Gpu).</summary>
    Gpu,
}
