using DeepPcr.Gpu.Kernels;
using DeepPcr.Gpu.Model;
using ILGPU;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// Every device buffer of one problem (model, L, B, w), allocated once and reused by every Newton iteration,
/// every repetition and every method: parameters, input and cotangent, states and their ping-pong partner,
/// layer outputs and derivatives, two (L, B, w, w) block buffers and two (L, B, w) right-hand sides for PCR,
/// the stopping-test slots and the device loop's history, and the gradient outputs. About 2 L B w^2 + 10 L B w floats
/// (at L = 1024, w = 64, B = 16: 512 MiB of blocks).
/// </summary>
public sealed class ChainWorkspace : IDisposable
{
    private readonly DeviceBuffers _buffers;

    /// <summary>Allocates the buffers and uploads the model (as float32) and the problem.</summary>
    /// <param name="device">The device.</param>
    /// <param name="model">The model.</param>
    /// <param name="problem">Input and cotangent of matching width.</param>
    /// <exception cref="ArgumentException">The problem's width differs from the model's.</exception>
    /// <exception cref="OverflowException">L B w^2 does not fit in an int (every kernel indexes with ints).</exception>
    /// <remarks>A failed device allocation throws ILGPU's exception after freeing what was allocated.</remarks>
    public ChainWorkspace(GpuDevice device, MlpModel model, ChainProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(problem);
        if (problem.Width != model.Width) throw new ArgumentException($"The problem has width {problem.Width}; the model has width {model.Width}.", nameof(problem));
        checked
        {
            _ = model.Layers * problem.Batch * model.Width * model.Width;   // every index fits in an int
        }
        Device = device;
        _buffers = new DeviceBuffers(device);
        Model = model;
        Problem = problem;
        Dims = new ChainDims(model.Layers, problem.Batch, model.Width, (int)model.Activation);
        try
        {
            AllocateAll();
        }
        catch
        {
            Dispose();   // a failed allocation (device memory) must not leak the buffers allocated before it
            throw;
        }
    }

    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(Weights), nameof(Biases), nameof(Input), nameof(Cotangent), nameof(States), nameof(Next),
        nameof(Outputs), nameof(Derivatives), nameof(BlocksA), nameof(BlocksB), nameof(RhsA), nameof(RhsB), nameof(BaselineStates), nameof(Lambda),
        nameof(WeightGradients), nameof(BiasGradients), nameof(InputGradient), nameof(Flags), nameof(History))]
    private void AllocateAll()
    {
        var model = Model;
        var problem = Problem;
        int states = Dims.States, blocks = (int)Dims.Blocks;
        Weights = Upload(model.WeightsFloat32());
        Biases = Upload(model.BiasesFloat32());
        Input = Upload(Array.ConvertAll(problem.Input, v => (float)v));
        Cotangent = Upload(Array.ConvertAll(problem.Cotangent, v => (float)v));
        States = Allocate<float>(states);
        Next = Allocate<float>(states);
        Outputs = Allocate<float>(states);
        Derivatives = Allocate<float>(states);
        BlocksA = Allocate<float>(blocks);
        BlocksB = Allocate<float>(blocks);
        RhsA = Allocate<float>(states);
        RhsB = Allocate<float>(states);
        BaselineStates = Allocate<float>(states);
        Lambda = Allocate<float>(states);
        WeightGradients = Allocate<float>(model.Weights.Length);
        BiasGradients = Allocate<float>(model.Biases.Length);
        InputGradient = Allocate<float>(Dims.Row);
        Flags = Allocate<int>(NewtonKernels.FlagCount);
        History = Allocate<float>(NewtonKernels.HistoryStride * (Dims.Layers + 1));
    }

    /// <summary>The device.</summary>
    public GpuDevice Device { get; }

    /// <summary>The model (float64 on the host).</summary>
    public MlpModel Model { get; }

    /// <summary>The problem (float64 on the host).</summary>
    public ChainProblem Problem { get; }

    /// <summary>L, B, w and the activation.</summary>
    public ChainDims Dims { get; }

    /// <summary>(L, w, w).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Weights { get; private set; }

    /// <summary>(L, w).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Biases { get; private set; }

    /// <summary>(B, w): z_0.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Input { get; private set; }

    /// <summary>(B, w): dLoss/dz_L.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Cotangent { get; private set; }

    /// <summary>(L, B, w): DeepPCR's current iterate; after a forward solve, its accepted states.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> States { get; private set; }

    /// <summary>(L, B, w): the next iterate (swapped with <see cref="States"/>).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Next { get; private set; }

    /// <summary>(L, B, w): f_k(z_k).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Outputs { get; private set; }

    /// <summary>(L, B, w): act' at the pre-activations.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Derivatives { get; private set; }

    /// <summary>(L, B, w, w): PCR blocks, first of the ping-pong pair (where a solve's blocks start).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> BlocksA { get; private set; }

    /// <summary>(L, B, w, w): PCR blocks, second of the pair.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> BlocksB { get; private set; }

    /// <summary>(L, B, w): PCR right-hand side, first of the pair (where a solve's c starts).</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> RhsA { get; private set; }

    /// <summary>(L, B, w): PCR right-hand side, second of the pair.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> RhsB { get; private set; }

    /// <summary>(L, B, w): the sequential baselines' states.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> BaselineStates { get; private set; }

    /// <summary>(L, B, w): the sequential baselines' state gradients, natural order.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Lambda { get; private set; }

    /// <summary>(L, w, w): the last backward pass's dLoss/dW.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> WeightGradients { get; private set; }

    /// <summary>(L, w): the last backward pass's dLoss/db.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> BiasGradients { get; private set; }

    /// <summary>(B, w): the last backward pass's dLoss/dz_0.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> InputGradient { get; private set; }

    /// <summary>The stopping test's slots (<see cref="NewtonKernels.FlagCount"/> ints: ratio, residual and update bits, PCR rounds, the device loop's status).</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> Flags { get; private set; }

    /// <summary>
    /// (L + 1, <see cref="NewtonKernels.HistoryStride"/>): the residual and update max-norms per iteration of one
    /// device-loop launch, indexed from the launch's first iteration. A launch runs at most L + 1 iterations (the
    /// kernel stops at the last row it holds) and the host relaunches below the iteration limit, so any limit fits.
    /// </summary>
    public MemoryBuffer1D<float, Stride1D.Dense> History { get; private set; }

    /// <summary>Every buffer as one kernel argument (built afresh: <see cref="SwapStates"/> changes States and Next).</summary>
    public ChainViews Views => new()
    {
        Input = Input.View, Cotangent = Cotangent.View, States = States.View, Next = Next.View, Weights = Weights.View, Biases = Biases.View,
        Outputs = Outputs.View, Derivatives = Derivatives.View, BlocksA = BlocksA.View, BlocksB = BlocksB.View, RhsA = RhsA.View, RhsB = RhsB.View,
        WeightGradients = WeightGradients.View, BiasGradients = BiasGradients.View, InputGradient = InputGradient.View, Flags = Flags.View, History = History.View,
    };

    /// <summary>Swaps <see cref="States"/> and <see cref="Next"/> (accepting the next iterate).</summary>
    public void SwapStates() => (States, Next) = (Next, States);

    /// <summary>Waits for the stream, then copies a device view to a new float64 array.</summary>
    /// <param name="view">The view.</param>
    /// <returns>Its values.</returns>
    public double[] Read(ArrayView<float> view) => _buffers.Read(view);

    /// <summary>Copies host values into a device view (same length).</summary>
    /// <param name="view">The target.</param>
    /// <param name="values">The values.</param>
    public void Write(ArrayView<float> view, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != view.Length) throw new ArgumentException($"{values.Length} values for a view of {view.Length}.", nameof(values));
        view.CopyFromCPU(Device.Stream, values);
        Device.Synchronize();
    }

    /// <inheritdoc />
    public void Dispose() => _buffers.Dispose();

    private MemoryBuffer1D<T, Stride1D.Dense> Allocate<T>(int length) where T : unmanaged => _buffers.Allocate<T>(length);

    private MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] values) => _buffers.Upload(values);
}
