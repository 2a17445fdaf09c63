using DeepPcr.Gpu.Kernels;
using DeepPcr.Gpu.Recurrent;
using ILGPU;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// Every device buffer of one recurrent problem (model, T, B), allocated once and reused by every Newton iteration,
/// repetition and method: parameters, input (T, B, I), initial state and output cotangent, the projections (T, B, 3H),
/// states and their ping-pong partner, outputs, two block buffers (T, B, H, k, k) and two right-hand sides for PCR, the
/// baseline's states, the gate deltas and the gradients. <see cref="BytesFor"/> gives the total before allocating.
/// </summary>
public sealed class RecurrentWorkspace : IDisposable
{
    private readonly DeviceBuffers _buffers;

    /// <summary>Allocates the buffers and uploads the model (float32) and the problem (time first).</summary>
    /// <param name="device">The device.</param>
    /// <param name="model">The model.</param>
    /// <param name="problem">The problem, made for the model.</param>
    /// <exception cref="ArgumentException">A problem of other sizes than the model's, or one whose index space does not fit in an int.</exception>
    /// <remarks>A failed device allocation throws ILGPU's exception after freeing what was allocated.</remarks>
    public RecurrentWorkspace(GpuDevice device, RecurrentModel model, RecurrentProblem problem)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(problem);
        if (problem.InitialState.LongLength != (long)problem.Batch * model.StateWidth || problem.Input.LongLength != (long)problem.Batch * problem.Length * model.InputSize)
            throw new ArgumentException("The problem was made for another model (its input or initial state has other sizes).", nameof(problem));
        Dims = DimsFor(model, problem.Batch, problem.Length);
        Device = device;
        _buffers = new DeviceBuffers(device);
        Model = model;
        Problem = problem;
        try
        {
            AllocateAll();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The device.</summary>
    public GpuDevice Device { get; }

    /// <summary>The model (float64 on the host).</summary>
    public RecurrentModel Model { get; }

    /// <summary>The problem (float64 on the host).</summary>
    public RecurrentProblem Problem { get; }

    /// <summary>The sizes.</summary>
    public RecurrentDims Dims { get; }

    /// <summary>(chunks) of <see cref="RecurrentKernels.ParameterPartials"/>: ceil(T B / <see cref="RecurrentKernels.ChunkRows"/>).</summary>
    public int Chunks => ChunksFor(Dims);

    /// <summary>(T, B, S): the current iterate; after a forward solve, its accepted states.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> States { get; private set; } = null!;

    /// <summary>(T, B, S): the next iterate.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Next { get; private set; } = null!;

    /// <summary>(T, B, S): the sequential baseline's states.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> BaselineStates { get; private set; } = null!;

    /// <summary>(T, B, S): PCR right-hand side, first of the pair.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> RhsA => _rhsA;

    /// <summary>(T, B, S): PCR right-hand side, second of the pair.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> RhsB => _rhsB;

    /// <summary>(T, B, H, k, k): PCR blocks, first of the pair.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> BlocksA => _blocksA;

    /// <summary>(T, B, H, k, k): PCR blocks, second of the pair.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> BlocksB => _blocksB;

    /// <summary>The flags (stopping test and finiteness).</summary>
    public MemoryBuffer1D<int, Stride1D.Dense> Flags => _flags;

    private MemoryBuffer1D<float, Stride1D.Dense> _input = null!, _weightIh = null!, _weightHh = null!, _biasIh = null!, _biasHh = null!, _initial = null!,
        _cotangent = null!, _projected = null!, _outputs = null!, _blocksA = null!, _blocksB = null!, _rhsA = null!, _rhsB = null!, _deltaX = null!,
        _deltaH = null!, _inputGradient = null!, _initialGradient = null!, _weightIhGradient = null!, _weightHhGradient = null!, _biasIhGradient = null!,
        _biasHhGradient = null!;

    private MemoryBuffer1D<double, Stride1D.Dense> _partials = null!;
    private MemoryBuffer1D<int, Stride1D.Dense> _flags = null!;

    /// <summary>Every buffer as one kernel argument (built afresh: <see cref="SwapStates"/> changes States and Next).</summary>
    public RecurrentViews Views => new()
    {
        Input = _input.View, WeightIh = _weightIh.View, WeightHh = _weightHh.View, BiasIh = _biasIh.View, BiasHh = _biasHh.View, Initial = _initial.View,
        Cotangent = _cotangent.View, Projected = _projected.View, States = States.View, Next = Next.View, Outputs = _outputs.View, BlocksA = _blocksA.View,
        BlocksB = _blocksB.View, RhsA = _rhsA.View, RhsB = _rhsB.View, DeltaX = _deltaX.View, DeltaH = _deltaH.View, InputGradient = _inputGradient.View,
        InitialGradient = _initialGradient.View, WeightIhGradient = _weightIhGradient.View, WeightHhGradient = _weightHhGradient.View,
        BiasIhGradient = _biasIhGradient.View, BiasHhGradient = _biasHhGradient.View, Partials = _partials.View, Flags = _flags.View,
    };

    /// <summary>The kernels' sizes for a model at (B, T), after checking that every index space fits in an int.</summary>
    /// <param name="model">The model.</param>
    /// <param name="batch">B.</param>
    /// <param name="length">T.</param>
    /// <exception cref="ArgumentException">An index space above int.MaxValue (the message gives the largest).</exception>
    public static RecurrentDims DimsFor(RecurrentModel model, int batch, int length)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (batch < 1 || length < 1) throw new ArgumentException($"(B, T) = ({batch}, {length}): both must be at least 1.");
        int k = model.Cell.BlockSize();
        long rows = (long)batch * length;
        long widest = rows * Math.Max(Math.Max(3L * model.Hidden, (long)k * k * model.Hidden), model.InputSize);
        long chunks = (rows + RecurrentKernels.ChunkRows - 1) / RecurrentKernels.ChunkRows;
        long partials = chunks * 3L * model.Hidden * (model.InputSize + 3);
        if (Math.Max(widest, partials) > int.MaxValue)
            throw new ArgumentException($"(T, B, H, I) = ({length}, {batch}, {model.Hidden}, {model.InputSize}) needs an index space of {Math.Max(widest, partials)} values; the kernels index with ints (at most {int.MaxValue}).");
        return new RecurrentDims(length, batch, model.Hidden, model.InputSize, (int)model.Cell, k);
    }

    /// <summary>The device memory a workspace of these sizes allocates, in bytes (what the benchmark checks before it runs a point).</summary>
    /// <param name="d">The sizes.</param>
    /// <returns>Bytes.</returns>
    public static long BytesFor(RecurrentDims d)
    {
        long rows = (long)d.Length * d.Batch, s = d.StateWidth, gates = d.GateRows;
        long floats = rows * d.InputSize * 2                       // input, input gradient
                      + rows * gates * 3                            // projections, two deltas
                      + rows * s * 6                                // states, next, outputs, two right-hand sides, baseline
                      + rows * d.Hidden * d.BlockSize * d.BlockSize * 2   // two block buffers
                      + (long)d.Batch * s * 2 + rows * d.Hidden     // initial state and its gradient, cotangent
                      + gates * (d.InputSize + 3) * 2;              // parameters and their gradients
        return floats * sizeof(float) + (long)ChunksFor(d) * gates * (d.InputSize + 3) * sizeof(double) + NewtonKernels.FlagCount * sizeof(int);
    }

    /// <summary>Swaps States and Next (accepting the next iterate).</summary>
    public void SwapStates() => (States, Next) = (Next, States);

    /// <summary>Reads a (T, B, S) device view back as [B, T, S] float64 (the reference's layout).</summary>
    /// <param name="view">States, Next or BaselineStates.</param>
    public double[] ReadStates(ArrayView<float> view) => TimeFirstToBatchFirst(Read(view), Dims.StateWidth);

    /// <summary>Reads the last backward pass's gradients (the input's in [B, T, I]).</summary>
    public RecurrentGradients ReadGradients()
    {
        var grads = new RecurrentGradients(Model, Dims.Batch, Dims.Length);
        TimeFirstToBatchFirst(Read(_inputGradient.View), Dims.InputSize).CopyTo(grads.Input, 0);
        Read(_initialGradient.View).CopyTo(grads.InitialState, 0);
        Read(_weightIhGradient.View).CopyTo(grads.WeightIh, 0);
        Read(_weightHhGradient.View).CopyTo(grads.WeightHh, 0);
        Read(_biasIhGradient.View).CopyTo(grads.BiasIh, 0);
        Read(_biasHhGradient.View).CopyTo(grads.BiasHh, 0);
        return grads;
    }

    /// <inheritdoc />
    public void Dispose() => _buffers.Dispose();

    private static int ChunksFor(RecurrentDims d) => (int)(((long)d.Rows + RecurrentKernels.ChunkRows - 1) / RecurrentKernels.ChunkRows);

    private void AllocateAll()
    {
        var d = Dims;
        var p = Model.ParametersFloat32();
        _weightIh = Upload(p[0]);
        _weightHh = Upload(p[1]);
        _biasIh = Upload(p[2]);
        _biasHh = Upload(p[3]);
        _input = Upload(BatchFirstToTimeFirst(Problem.Input, d.InputSize));
        _initial = Upload(RecurrentModel.ToFloat(Problem.InitialState));
        _cotangent = Upload(BatchFirstToTimeFirst(Problem.Cotangent, d.Hidden));
        _projected = Allocate<float>((long)d.Rows * d.GateRows);
        States = Allocate<float>(d.States);
        Next = Allocate<float>(d.States);
        BaselineStates = Allocate<float>(d.States);
        _outputs = Allocate<float>(d.States);
        _rhsA = Allocate<float>(d.States);
        _rhsB = Allocate<float>(d.States);
        _blocksA = Allocate<float>(d.BlockEntries);
        _blocksB = Allocate<float>(d.BlockEntries);
        _deltaX = Allocate<float>((long)d.Rows * d.GateRows);
        _deltaH = Allocate<float>((long)d.Rows * d.GateRows);
        _inputGradient = Allocate<float>((long)d.Rows * d.InputSize);
        _initialGradient = Allocate<float>((long)d.Batch * d.StateWidth);
        _weightIhGradient = Allocate<float>((long)d.GateRows * d.InputSize);
        _weightHhGradient = Allocate<float>(d.GateRows);
        _biasIhGradient = Allocate<float>(d.GateRows);
        _biasHhGradient = Allocate<float>(d.GateRows);
        _partials = Allocate<double>((long)Chunks * d.GateRows * d.ParameterColumns);
        _flags = Allocate<int>(NewtonKernels.FlagCount);
    }

    /// <summary>[B, T, n] float64 to (T, B, n) float32.</summary>
    private float[] BatchFirstToTimeFirst(double[] values, int n)
    {
        int batch = Dims.Batch, length = Dims.Length;
        var result = new float[values.LongLength];
        for (int b = 0; b < batch; b++)
        for (int t = 0; t < length; t++)
            for (int j = 0; j < n; j++)
                result[((long)t * batch + b) * n + j] = (float)values[((long)b * length + t) * n + j];
        return result;
    }

    /// <summary>(T, B, n) to [B, T, n].</summary>
    private double[] TimeFirstToBatchFirst(double[] values, int n)
    {
        int batch = Dims.Batch, length = Dims.Length;
        var result = new double[values.LongLength];
        for (int b = 0; b < batch; b++)
        for (int t = 0; t < length; t++)
            Array.Copy(values, ((long)t * batch + b) * n, result, ((long)b * length + t) * n, n);
        return result;
    }

    private double[] Read(ArrayView<float> view) => _buffers.Read(view);

    private MemoryBuffer1D<T, Stride1D.Dense> Allocate<T>(long length) where T : unmanaged => _buffers.Allocate<T>(length);

    private MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] values) => _buffers.Upload(values);
}
