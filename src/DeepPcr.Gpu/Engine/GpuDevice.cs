using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// An ILGPU context and one accelerator (CUDA or the CPU emulator) with the algorithms extension enabled
/// (XMath.Tanh in kernels). Every kernel launch and copy of the engine goes to its <see cref="Stream"/>:
/// one stream, so that launches queue without host synchronisation.
/// </summary>
public sealed class GpuDevice : IDisposable
{
    private readonly Context _context;
    private KernelSet? _kernels;
    private RecurrentKernelSet? _recurrent;

    private GpuDevice(Context context, Accelerator accelerator)
    {
        _context = context;
        Accelerator = accelerator;
    }

    /// <summary>The accelerator.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Every kernel of the engine, compiled on first use and kept for the device's lifetime.</summary>
    public KernelSet Kernels => _kernels ??= new KernelSet(Accelerator);

    /// <summary>The recurrent engine's kernels, compiled on first use and kept for the device's lifetime.</summary>
    public RecurrentKernelSet RecurrentKernels => _recurrent ??= new RecurrentKernelSet(Accelerator);

    /// <summary>The stream every operation uses (the accelerator's default stream).</summary>
    public AcceleratorStream Stream => Accelerator.DefaultStream;

    /// <summary>True on the CPU emulator.</summary>
    public bool IsCpu => Accelerator.AcceleratorType == AcceleratorType.CPU;

    /// <summary>Opens a device.</summary>
    /// <param name="kind">CUDA or the CPU accelerator.</param>
    /// <returns>The device; the caller disposes it.</returns>
    /// <exception cref="InvalidOperationException">No device of that kind is listed (the message says what is).</exception>
    public static GpuDevice Open(AcceleratorKind kind)
    {
        if (kind == AcceleratorKind.Cuda) CudaDriverResolver.Ensure();
        var context = Context.Create(builder =>
        {
            if (kind == AcceleratorKind.Cuda) builder.Cuda(UseSupportedInstructionSet);
            else builder.DefaultCPU();
            builder.EnableAlgorithms();
            builder.Profiling();   // stream markers (CUDA events) for device-side timings
        });
        try
        {
            var wanted = kind == AcceleratorKind.Cuda ? AcceleratorType.Cuda : AcceleratorType.CPU;
            var device = context.Devices.FirstOrDefault(d => d.AcceleratorType == wanted)
                         ?? throw new InvalidOperationException(
                             $"No {kind} accelerator is listed (ILGPU lists: {string.Join(", ", context.Devices.Select(d => $"{d.AcceleratorType} '{d.Name}'"))}). " +
                             "On a machine without an NVIDIA driver, use the CPU accelerator.");
            return new GpuDevice(context, device.CreateAccelerator(context));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// ILGPU keeps a CUDA device only if it picked a PTX instruction set for it that its backend can emit (up to
    /// PTX ISA 8.8 in ILGPU 1.5.3); a newer driver (CUDA 13) may leave none picked. Such a device is given the
    /// newest set ILGPU supports, which every newer driver also accepts (as src/DeepPcr.GpuCheck's
    /// "cuda-isa-override" recipe does); devices with a supported set are left alone.
    /// </summary>
    private static void UseSupportedInstructionSet(CudaDeviceOverride device)
    {
        if (device.InstructionSet is not { } isa || !PTXCodeGenerator.SupportedInstructionSets.Contains(isa))
            device.InstructionSet = PTXCodeGenerator.SupportedInstructionSets.Max();
    }

    /// <summary>The accelerator in words: type, name, memory and, for CUDA, the architecture and driver.</summary>
    /// <returns>For example "Cuda 'NVIDIA H100 80GB HBM3', 79.1 GiB, SM_90, driver 13.0".</returns>
    public string Describe()
    {
        // The CPU emulator reports long.MaxValue bytes; the host's memory is what it has.
        long bytes = IsCpu ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes : Accelerator.MemorySize;
        string text = $"{Accelerator.AcceleratorType} '{Accelerator.Name}', {bytes / (1024.0 * 1024 * 1024):0.0} GiB{(IsCpu ? " host memory (ILGPU's CPU emulator)" : "")}";
        if (Accelerator is CudaAccelerator cuda) text += $", {cuda.Architecture}, driver {cuda.DriverVersion}";
        return text;
    }

    /// <summary>Waits for every queued operation.</summary>
    public void Synchronize() => Stream.Synchronize();

    /// <inheritdoc />
    public void Dispose()
    {
        Accelerator.Dispose();
        _context.Dispose();
    }
}
