namespace DeepPcr.Gpu.Engine;

/// <summary>Which ILGPU accelerator runs the engine.</summary>
public enum AcceleratorKind
{
    /// <summary>The first CUDA device ILGPU lists; an error when there is none.</summary>
    Cuda,

    /// <summary>ILGPU's CPU accelerator: a slow emulator (about 1000x slower), for tests and for machines without a GPU.</summary>
    Cpu,
}
