using System.Numerics;
using System.Runtime.InteropServices;
using DeepPcr.Chains;
using DeepPcr.Linear.Kernels;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Mlp;

/// <summary>
/// A deep MLP as a chain: z_{k+1} = act_k(W_k z_k + b_k), k = 0..L-1, every layer of width w, one activation for
/// every layer or one per layer. Its Jacobian is analytic and dense: J_k = diag(act_k'(W_k z_k + b_k)) W_k.
/// </summary>
public sealed class MlpChain : IHostDifferentiableChainStep, ISegmentedChainStep
{
    /// <summary>Wraps the given weights (L, w, w) and biases (L, w); the tensors stay the caller's.</summary>
    /// <exception cref="ArgumentException">Shapes or dtypes that do not fit, L = 0, or non-finite values.</exception>
    public MlpChain(Tensor weights, Tensor biases, Activation activation)
        : this(weights, biases, Enumerable.Repeat(activation, weights is null || weights.dim() < 1 ? 0 : (int)weights.size(0)).ToArray())
    {
    }

    /// <summary>Wraps the given weights (L, w, w) and biases (L, w) with one activation per layer; the tensors stay the caller's.</summary>
    /// <exception cref="ArgumentException">Shapes or dtypes that do not fit, L = 0, not L activations, or non-finite values.</exception>
    public MlpChain(Tensor weights, Tensor biases, IReadOnlyList<Activation> activations)
    {
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(biases);
        TensorChecks.FloatingPoint(weights, "weights");
        if (weights.dim() != 3 || weights.size(1) != weights.size(2))
        {
            throw new ArgumentException($"weights must have shape (L, w, w) but have {TensorChecks.Format(weights.shape)}.", nameof(weights));
        }
        if (weights.size(0) == 0) throw new ArgumentException("The MLP has L = 0 layers; at least one is needed.", nameof(weights));
        TensorChecks.Shape(biases, "biases", weights.size(0), weights.size(1));
        TensorChecks.SameKind(biases, "biases", weights, "weights");
        TensorChecks.Finite(weights, "weights");
        TensorChecks.Finite(biases, "biases");
        if (activations.Count != weights.size(0))
        {
            throw new ArgumentException($"{activations.Count} activations were given for L = {weights.size(0)} layers; give one per layer.", nameof(activations));
        }
        Weights = weights;
        Biases = biases;
        this.activations = activations.ToArray();
        uniform = this.activations.All(a => a == this.activations[0]);
        // Asked on every solve: answered once here rather than by a scan of L activations per call.
        exactInFloat64 = this.activations.All(a => HostActivation.ExactFor(a, float64: true));
        slopesFromValues = this.activations.All(a => HostActivation.TrySlopeFromValue(a, 0.0, out _));
    }

    private readonly Activation[] activations;
    private readonly bool uniform, exactInFloat64, slopesFromValues;

    /// <summary>W_k^T of every layer (L, w, w) as float[] or double[] (the weights' dtype), copied by <see cref="Freeze"/>; null when not frozen.</summary>
    private Array? frozenColumns;

    /// <summary>
    /// The same network over the same tensors, frozen: its parameters are read once, now, into a transposed host copy
    /// that the fused sequential pass combines (as <see cref="FusedMlpLoop{T}"/> does), instead of transposing each
    /// layer's W on every call (about a quarter of the pass at w = 16). For inference and benchmarks: a frozen chain
    /// does not see later in-place changes of the weights (an optimizer step), so training keeps the unfrozen chain.
    /// Everything else (Newton, Jacobians, the backward passes) still reads the tensors.
    /// </summary>
    /// <exception cref="InvalidOperationException">The parameters are not on the CPU.</exception>
    public MlpChain Freeze()
    {
        if (Weights.device_type != DeviceType.CPU)
        {
            throw new InvalidOperationException($"Only CPU parameters can be frozen into host memory; these are on {Weights.device}.");
        }
        using var scope = torch.NewDisposeScope();
        using var columns = Weights.detach().transpose(1, 2).contiguous();
        return new MlpChain(Weights, Biases, activations)
        {
            frozenColumns = Weights.dtype == ScalarType.Float32 ? columns.data<float>().ToArray() : columns.data<double>().ToArray(),
        };
    }

    /// <summary>True when <see cref="Freeze"/> made this chain (its sequential pass reads the parameters' copy of that moment).</summary>
    public bool IsFrozen => frozenColumns is not null;

    /// <summary>(L, w, w): W_k maps z_k to the pre-activation of layer k.</summary>
    public Tensor Weights { get; }

    /// <summary>(L, w).</summary>
    public Tensor Biases { get; }

    /// <summary>The activation of every layer.</summary>
    /// <exception cref="InvalidOperationException">The layers have different activations (read <see cref="Activations"/>).</exception>
    public Activation Activation => uniform
        ? activations[0]
        : throw new InvalidOperationException($"The layers have different activations ({string.Join(", ", activations.Distinct().Select(a => a.Name()))}); read Activations.");

    /// <summary>act_k of every layer k, L of them.</summary>
    public IReadOnlyList<Activation> Activations => activations;

    /// <summary>True when every layer has the same activation.</summary>
    public bool HasOneActivation => uniform;

    /// <inheritdoc />
    public int Length => (int)Weights.size(0);

    /// <inheritdoc />
    public int Width => (int)Weights.size(1);

    /// <inheritdoc />
    public JacobianStructure JacobianStructure => JacobianStructure.Dense;

    /// <summary>
    /// A seeded random MLP: weights N(0, gain^2 / w), biases N(0, 0.1^2), drawn in float64 and cast to dtype.
    /// </summary>
    public static MlpChain Random(int layers, int width, double gain, Activation activation, ScalarType dtype, long seed)
    {
        if (layers < 1 || width < 1) throw new ArgumentException($"An MLP needs at least one layer and width 1; got L = {layers}, w = {width}.");
        var generator = new Generator((ulong)seed);
        using var scope = torch.NewDisposeScope();
        var w = (torch.randn(new long[] { layers, width, width }, dtype: ScalarType.Float64, generator: generator) * (gain / Math.Sqrt(width))).to_type(dtype);
        var b = (torch.randn(new long[] { layers, width }, dtype: ScalarType.Float64, generator: generator) * 0.1).to_type(dtype);
        return new MlpChain(w.MoveToOuterDisposeScope(), b.MoveToOuterDisposeScope(), activation);
    }

    /// <summary>Layers first..first+count-1 as an MLP of their own (views of these weights and biases).</summary>
    public IChainStep Segment(int first, int count)
    {
        SegmentChecks.Range(first, count, Length);
        return new MlpChain(Weights.narrow(0, first, count), Biases.narrow(0, first, count), Activation);
    }

    /// <summary>The same network with parameters cast to another dtype (new tensors).</summary>
    public MlpChain To(ScalarType dtype) => new(Weights.to_type(dtype), Biases.to_type(dtype), activations);

    /// <inheritdoc />
    public Tensor Evaluate(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        return PerLayer(first, PreActivation(first, inputs), (activation, pre) => activation.Apply(pre)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Jacobian(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        var slope = PerLayer(first, PreActivation(first, inputs), (activation, pre) => activation.Derivative(pre)); // (n, B, w)
        var weights = Weights.narrow(0, first, inputs.size(0)).unsqueeze(1); // (n, 1, w, w)
        return (slope.unsqueeze(-1) * weights).MoveToOuterDisposeScope();     // (n, B, w, w)
    }

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => new[] { Weights, Biases };

    /// <summary>
    /// Analytic parameter gradients: with delta_k = act'(W_k z_k + b_k) * cotangent_k (B, w), the weight
    /// gradient of layer k is delta_k^T z_k (w, w) and the bias gradient the sum of delta_k over samples.
    /// </summary>
    /// <returns>[weights (L, w, w), biases (L, w)].</returns>
    public IReadOnlyList<Tensor> ParameterGradients(Tensor inputs, Tensor cotangents)
    {
        if (inputs.dtype == Weights.dtype && cotangents.dtype == Weights.dtype && inputs.device_type == DeviceType.CPU
            && cotangents.device_type == DeviceType.CPU && SupportsHost(inputs.dtype) && inputs.size(0) == Length)
        {
            return inputs.dtype == ScalarType.Float32 ? HostParameterGradients<float>(inputs, cotangents) : HostParameterGradients<double>(inputs, cotangents);
        }
        return ParameterGradientsWithTorch(inputs, cotangents);
    }

    /// <summary>The parameter gradients from TorchSharp operations: any device; the reference for the host pass.</summary>
    internal IReadOnlyList<Tensor> ParameterGradientsWithTorch(Tensor inputs, Tensor cotangents)
    {
        using var scope = torch.NewDisposeScope();
        var delta = PerLayer(0, PreActivation(0, inputs), (activation, pre) => activation.Derivative(pre)) * cotangents; // (L, B, w)
        var weights = torch.matmul(delta.transpose(1, 2), inputs);                       // (L, w, w)
        var biases = delta.sum(1);                                                      // (L, w)
        return new[] { weights.MoveToOuterDisposeScope(), biases.MoveToOuterDisposeScope() };
    }

    /// <inheritdoc />
    public bool SupportsHost(ScalarType dtype) =>
        Weights.device_type == DeviceType.CPU && Weights.dtype == dtype && Biases.dtype == dtype
        && Weights.is_contiguous() && Biases.is_contiguous()
        // Parameters that require grad are read in place only where no autograd graph is being recorded
        // (solver forwards inside the autograd bridge, backward passes); otherwise the tensor path keeps the graph.
        && (!torch.is_grad_enabled() || (!Weights.requires_grad && !Biases.requires_grad))
        && (dtype != ScalarType.Float64 || exactInFloat64);

    /// <summary>
    /// act(W_k z + b_k) per row, reading the weights in place, and the Jacobian diag(act') W_k in the planar layout.
    /// </summary>
    public unsafe void EvaluateOnHost<T>(int first, int batch, ReadOnlySpan<T> inputs, Span<T> outputs, Span<T> jacobian, long stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Width;
        int rows = inputs.Length / width;
        if (inputs.Length != outputs.Length || rows % batch != 0 || first + rows / batch > Length)
        {
            throw new ArgumentException($"inputs and outputs must both hold (n, {batch}, {width}) values for n <= {Length - first}.");
        }
        bool withJacobian = !jacobian.IsEmpty;
        if (withJacobian && (stride < rows || jacobian.Length < (long)width * width * stride)) throw new ArgumentException("The Jacobian buffer is smaller than w^2 planes of the given stride.", nameof(jacobian));
        CheckHost<T>();
        int steps = rows / batch;
        fixed (byte* pw = Weights.bytes, pb = Biases.bytes)
        fixed (T* pIn = inputs, pOut = outputs, pJac = jacobian)
        {
            foreach (var (from, count, activation) in Runs(first, steps))
            {
                EvaluateRows((T*)pw, (T*)pb, first, batch, pIn, pOut, withJacobian ? pJac : null, stride, (from - first) * batch, (from - first + count) * batch, activation);
            }
        }
    }

    /// <summary>Rows [r0, r1) of <see cref="EvaluateOnHost{T}"/>, all of layers with the activation given.</summary>
    private unsafe void EvaluateRows<T>(T* weights, T* biases, int first, int batch, T* pIn, T* pOut, T* pJac, long stride, int r0, int r1, Activation activation)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Width;
        bool gelu = activation == Activation.Gelu, withJacobian = pJac is not null;
        // Pre-activations (GELU: its value and slope from the pre-activation, on the spot).
        for (int r = r0; r < r1; r++)
        {
            int layer = first + r / batch;
            T* w = weights + (long)layer * width * width;
            T* z = pIn + (long)r * width;
            for (int i = 0; i < width; i++)
            {
                T* row = w + i * width;
                T pre = Dot(row, z, width, biases[layer * width + i]);
                pOut[(long)r * width + i] = pre;
                if (!gelu) continue;
                pOut[(long)r * width + i] = HostActivation.Value(activation, pre);
                if (withJacobian) WriteJacobianRow(pJac, stride, r, i, HostActivation.Slope(activation, pre), row, width);
            }
        }
        if (gelu) return;
        HostActivation.ApplyInPlace(activation, new Span<T>(pOut + (long)r0 * width, (r1 - r0) * width));
        if (!withJacobian) return;
        for (int r = r0; r < r1; r++)
        {
            int layer = first + r / batch;
            for (int i = 0; i < width; i++)
            {
                T value = pOut[(long)r * width + i];
                HostActivation.TrySlopeFromValue(activation, value, out T slope); // GELU returned above
                WriteJacobianRow(pJac, stride, r, i, slope, weights + ((long)layer * width + i) * width, width);
            }
        }
    }

    /// <summary>The runs of consecutive layers with one activation among layers first..first+count-1: (first layer, layers, activation).</summary>
    private IEnumerable<(int From, int Count, Activation Activation)> Runs(int first, int count)
    {
        int from = first, end = first + count;
        while (from < end)
        {
            int to = from + 1;
            while (to < end && activations[to] == activations[from]) to++;
            yield return (from, to - from, activations[from]);
            from = to;
        }
    }

    /// <summary>f(act_k, rows of layer k) over (n, B, w) values of layers first..first+n-1, one call per run of one activation.</summary>
    private Tensor PerLayer(int first, Tensor values, Func<Activation, Tensor, Tensor> f)
    {
        if (uniform) return f(activations[0], values);
        var pieces = Runs(first, (int)values.size(0)).Select(run => f(run.Activation, values.narrow(0, run.From - first, run.Count))).ToArray();
        return pieces.Length == 1 ? pieces[0] : torch.cat(pieces, 0);
    }

    /// <summary>The fused sequential loop: the parameters read in place (or from the frozen copy), one linear combination
    /// of W's columns per sample and one vectorised activation per layer (<see cref="RunByColumns{T}"/>).</summary>
    public void RunSequentialOnHost<T>(int first, int batch, ReadOnlySpan<T> start, Span<T> states)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunSequentialCore(first, batch, start, states, residualScale: null);

    /// <summary>The residual chain's fused loop: z + h act(W z + b) per step.</summary>
    internal void RunResidualSequentialOnHost<T>(int first, int batch, ReadOnlySpan<T> start, Span<T> states, double stepScale)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        RunSequentialCore(first, batch, start, states, T.CreateTruncating(stepScale));

    private unsafe void RunSequentialCore<T>(int first, int batch, ReadOnlySpan<T> start, Span<T> states, T? residualScale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Width, rowSize = batch * width, count = states.Length / rowSize;
        if (start.Length != rowSize || states.Length != count * rowSize || first + count > Length)
        {
            throw new ArgumentException($"start must hold (B, w) = ({batch}, {width}) values and states (n, B, w) values for n <= {Length - first}.");
        }
        CheckHost<T>();
        RunByColumns(first, batch, start, states, residualScale);
    }

    /// <summary>act over a layer's values in place: vectorised, GELU element by element.</summary>
    private static void ApplyActivation<T>(Activation activation, Span<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (activation != Activation.Gelu)
        {
            HostActivation.ApplyInPlace(activation, values);
            return;
        }
        for (int e = 0; e < values.Length; e++) values[e] = HostActivation.Value(activation, values[e]);
    }

    /// <summary>
    /// The sequential pass as the fused loop runs it (<see cref="FusedMlpLoop{T}"/>): each layer's W is transposed into
    /// a w x w scratch (w^2 moves against the layer's B w^2 multiply-adds, so the parameters are still read in place),
    /// or read from the frozen copy (<see cref="Freeze"/>), and every sample's pre-activation row is one linear combination of W's columns,
    /// pre[b, :] = b + sum_j z[b, j] W[:, j] (<see cref="FusedMlpKernels.Combine{T}"/> over w lanes), written straight
    /// into the states; the activation runs over the whole layer. Large passes split the batch over the host threads
    /// (<see cref="SequentialThreadsFor"/>): each thread runs every layer for its samples.
    /// </summary>
    private unsafe void RunByColumns<T>(int first, int batch, ReadOnlySpan<T> start, Span<T> states, T? residualScale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int count = states.Length / (batch * Width);
        fixed (byte* pw = Weights.bytes, pb = Biases.bytes)
        fixed (T* z0 = start, zs = states, frozen = frozenColumns as T[])
        {
            var pass = new ColumnPass<T>(this, (T*)pw, (T*)pb, frozen, z0, zs, first, count, batch, residualScale);
            if (SequentialThreadsFor(count, Width, batch) > 1) HostTeam.Run(pass);
            else pass.Run(0, 1);
        }
    }

    /// <summary>
    /// The least work, L B w (w + 8), for which the host sequential pass splits the batch over the host threads: 2^19,
    /// 8 times the fused loop's <see cref="FusedMlpLoop{T}.MinParallelWork"/>. The chain's pass runs between framework
    /// calls (autograd, the rest of a model), where the host team's worker has gone to sleep and waking it costs more
    /// than in the fused loop's back-to-back benchmark: splitting ResNet training's sequential-host pass at depth 64
    /// (2^18) made its epochs about a sixth slower (72-74 ms against 61-62 ms), at depth 256 (2^20) it was neutral, and
    /// in `mlp` the split won at (1024, 4, 16) (about 0.79 million: 0.09-0.12 ms on 2 threads against 0.12-0.19 on 1)
    /// and at (1024, 16, 16) (about 6.3 million).
    /// </summary>
    public const long MinSplitWork = 1 << 19;

    /// <summary>The threads the host sequential pass over (L, B, w) = (<paramref name="layers"/>, <paramref name="batch"/>,
    /// <paramref name="width"/>) runs on under the current <see cref="DeepPcr.Linear.HostThreads"/> limit.</summary>
    public static int SequentialThreadsFor(int layers, int width, int batch) =>
        FusedMlpLoop<float>.ThreadsFor(layers, width, batch, MinSplitWork);

    /// <summary><see cref="RunByColumns{T}"/> over a share of the batch: every layer for samples [from, to).</summary>
    private readonly unsafe struct ColumnPass<T>(MlpChain chain, T* weights, T* biases, T* frozen, T* start, T* states, int first, int count, int batch, T? residualScale)
        : ITeamJob where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Run(int part, int parts)
        {
            int from = batch * part / parts, to = batch * (part + 1) / parts, n = to - from, width = chain.Width;
            if (n == 0) return;
            long rowSize = (long)batch * width, offset = (long)from * width;
            var scratch = frozen is null ? new T[width * width] : null;
            fixed (T* copy = scratch)
            {
                for (int k = 0; k < count; k++)
                {
                    int layer = first + k;
                    T* input = (k == 0 ? start : states + (k - 1) * rowSize) + offset;
                    T* output = states + k * rowSize + offset;
                    T* columns = frozen is null ? copy : frozen + (long)layer * width * width;
                    if (frozen is null) Transpose(weights + (long)layer * width * width, columns, width, width);
                    FusedMlpKernels.Combine(new Combination<T>
                    {
                        Target = output, TargetStride = width, Start = biases + (long)layer * width, StartStride = 0,
                        Rows = columns, RowStride = width, Coefficients = input, CoefficientStride = 1, CoefficientRepeatStride = width,
                        Count = width, Repeats = n,
                    }, width);
                    var values = new Span<T>(output, n * width);
                    ApplyActivation(chain.activations[layer], values);
                    if (residualScale is T h) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(values, h, new ReadOnlySpan<T>(input, n * width), values);
                }
            }
        }
    }

    /// <summary>target (cols, rows) = source (rows, cols)^T, both row-major.</summary>
    private static unsafe void Transpose<T>(T* source, T* target, int rows, int cols) where T : unmanaged
    {
        for (int r = 0; r < rows; r++)
        {
            T* row = source + (long)r * cols;
            for (int c = 0; c < cols; c++) target[(long)c * rows + r] = row[c];
        }
    }

    /// <summary>Throws unless the parameters can be read in place as T (CPU, contiguous, T's dtype).</summary>
    private void CheckHost<T>() where T : unmanaged
    {
        var dtype = typeof(T) == typeof(float) ? ScalarType.Float32 : typeof(T) == typeof(double) ? ScalarType.Float64 : (ScalarType?)null;
        if (dtype is null || Weights.dtype != dtype || Biases.dtype != dtype || Weights.device_type != DeviceType.CPU || !Weights.is_contiguous() || !Biases.is_contiguous())
        {
            throw new InvalidOperationException($"The host kernels read the parameters in place: they must be contiguous CPU tensors of {typeof(T).Name}'s dtype (they are {Weights.dtype} on {Weights.device}); check SupportsHost first.");
        }
    }

    /// <summary>Row i of diag(slope) W for lane r in the planar layout.</summary>
    private static unsafe void WriteJacobianRow<T>(T* jacobian, long stride, int r, int i, T slope, T* weightRow, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* target = jacobian + (long)i * width * stride + r;
        for (int j = 0; j < width; j++, target += stride) *target = slope * weightRow[j];
    }

    /// <summary>The same gradients as the tensor expression, in one host pass over layers and samples.</summary>
    private IReadOnlyList<Tensor> HostParameterGradients<T>(Tensor inputs, Tensor cotangents) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = (int)inputs.size(1);
        using var z = inputs.detach().contiguous();
        using var g = cotangents.detach().contiguous();
        var outputs = new T[Length * batch * Width];
        var zs = MemoryMarshal.Cast<byte, T>(z.bytes);
        EvaluateOnHost<T>(0, batch, zs, outputs, Span<T>.Empty, 0);
        return ParameterGradientsOnHost<T>(batch, zs, outputs, MemoryMarshal.Cast<byte, T>(g.bytes));
    }

    /// <summary>
    /// delta = act'(pre) * lambda per row, with act' read from the outputs (tanh, sigmoid, relu, identity) or the
    /// recomputed pre-activation (GELU); weight gradient sum_b delta z^T, bias gradient sum_b delta.
    /// </summary>
    /// <returns>[weights (L, w, w), biases (L, w)].</returns>
    public unsafe IReadOnlyList<Tensor> ParameterGradientsOnHost<T>(int batch, ReadOnlySpan<T> inputs, ReadOnlySpan<T> outputs, ReadOnlySpan<T> cotangents)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Width, length = Length;
        long size = (long)length * batch * width;
        if (inputs.Length != size || outputs.Length != size || cotangents.Length != size)
        {
            throw new ArgumentException($"inputs, outputs and cotangents must each hold (L, B, w) = ({length}, {batch}, {width}) values.");
        }
        CheckHost<T>();
        var gradW = torch.zeros(new long[] { length, width, width }, dtype: Weights.dtype);
        var gradB = torch.zeros(new long[] { length, width }, dtype: Weights.dtype);
        fixed (byte* pw = gradW.bytes, pb = gradB.bytes, pWeights = Weights.bytes, pBias = Biases.bytes)
        fixed (T* zs = inputs, gs = cotangents, values = outputs)
        {
            T* gw = (T*)pw, gb = (T*)pb, weights = (T*)pWeights, biases = (T*)pBias;
            for (int l = 0; l < length; l++)
            {
                var activation = activations[l];
                for (int b = 0; b < batch; b++)
                {
                    long r = (long)l * batch + b;
                    T* zr = zs + r * width;
                    for (int i = 0; i < width; i++)
                    {
                        T value = values[r * width + i];
                        if (!HostActivation.TrySlopeFromValue(activation, value, out T slope))
                        {
                            slope = HostActivation.Slope(activation, PreActivationOf(weights, biases, l, i, zr, width));
                        }
                        T delta = slope * gs[r * width + i];
                        gb[l * width + i] += delta;
                        AddScaled(gw + ((long)l * width + i) * width, delta, zr, width);
                    }
                }
            }
        }
        return new[] { gradW, gradB };
    }

    /// <summary>True where the host kernels apply and the slope follows from the state (every activation but GELU).</summary>
    public bool SupportsBackwardFromStates(ScalarType dtype) => slopesFromValues && SupportsHost(dtype);

    /// <summary>
    /// The fused loop's backward pass (<see cref="FusedMlpBackward{T}"/>) over the sequential pass's states and the
    /// parameters in place: delta = act'(z_{l+1}) lambda, dW = sum_b delta z^T, db = sum_b delta, lambda = W^T delta, no
    /// Jacobian built; the batch split over the host team where the fused loop would split it.
    /// </summary>
    /// <param name="batch">B.</param>
    /// <param name="start">(B, w): z_0.</param>
    /// <param name="states">(L, B, w): z_1..z_L of the sequential pass.</param>
    /// <param name="cotangents">(B, w) on z_L, or (L, B, w) on every state.</param>
    /// <param name="lambdas">(L, B, w), written.</param>
    /// <param name="inputGradient">(B, w), written.</param>
    /// <returns>[weights (L, w, w), biases (L, w)].</returns>
    public unsafe IReadOnlyList<Tensor> BackwardFromStatesOnHost<T>(int batch, ReadOnlySpan<T> start, ReadOnlySpan<T> states, ReadOnlySpan<T> cotangents, Span<T> lambdas, Span<T> inputGradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Width, length = Length;
        long rowSize = (long)batch * width;
        if (!SupportsBackwardFromStates(Weights.dtype)) throw new NotSupportedException("The slope of GELU does not follow from its value; use the Jacobian pass.");
        if (start.Length != rowSize || states.Length != length * rowSize || (cotangents.Length != rowSize && cotangents.Length != length * rowSize)
            || (lambdas.Length != length * rowSize && !lambdas.IsEmpty) || inputGradient.Length != rowSize)
        {
            throw new ArgumentException($"start must hold (B, w), states (L, B, w), cotangents (B, w) or (L, B, w), lambdas (L, B, w) or nothing, and inputGradient (B, w) values for (L, B, w) = ({length}, {batch}, {width}).");
        }
        CheckHost<T>();
        var gradW = torch.empty(new long[] { length, width, width }, dtype: Weights.dtype);
        var gradB = torch.empty(new long[] { length, width }, dtype: Weights.dtype);
        int parts = FusedMlpLoop<T>.ThreadsFor(length, width, batch) == 1 ? 1 : HostTeam.Parts;
        var delta = new T[rowSize];
        var partials = new T[(parts - 1) * (long)length * (width + 1) * width];
        fixed (byte* pw = gradW.bytes, pb = gradB.bytes, pWeights = Weights.bytes)
        fixed (T* z0 = start, zs = states, gs = cotangents, ls = lambdas, gx = inputGradient, d = delta, p = partials)
        {
            new FusedMlpBackward<T>
            {
                Layers = length, Width = width, Batch = batch, Activation = activations[0], PerLayer = uniform ? null : activations, Step = T.One, Rows = (T*)pWeights,
                Start = z0, States = zs, Delta = d, Cotangents = gs, PerState = cotangents.Length != rowSize, Lambdas = ls,
                InputGradient = gx, WeightGradients = (T*)pw, BiasGradients = (T*)pb, Partials = p,
            }.Run(parts);
        }
        return new[] { gradW, gradB };
    }

    /// <summary>row += delta * z over w entries, in SIMD vectors where they fit.</summary>
    private static unsafe void AddScaled<T>(T* row, T delta, T* z, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && width >= Vector<T>.Count)
        {
            var d = new Vector<T>(delta);
            for (; j + Vector<T>.Count <= width; j += Vector<T>.Count) Vector.Store(Vector.Load(row + j) + d * Vector.Load(z + j), row + j);
        }
        for (; j < width; j++) row[j] += delta * z[j];
    }

    private static unsafe T PreActivationOf<T>(T* weights, T* biases, int layer, int i, T* z, int width) where T : unmanaged, IFloatingPointIeee754<T> =>
        Dot(weights + ((long)layer * width + i) * width, z, width, biases[layer * width + i]);

    /// <summary>start + row · z with fused multiply-adds in two independent chains (half the latency of one).</summary>
    private static unsafe T Dot<T>(T* row, T* z, int width, T start) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T s0 = start, s1 = T.Zero;
        int j = 0;
        for (; j + 1 < width; j += 2)
        {
            s0 = T.FusedMultiplyAdd(row[j], z[j], s0);
            s1 = T.FusedMultiplyAdd(row[j + 1], z[j + 1], s1);
        }
        if (j < width) s0 = T.FusedMultiplyAdd(row[j], z[j], s0);
        return s0 + s1;
    }

    /// <summary>(n, B, w): W_k z_k + b_k for steps first..first+n-1.</summary>
    public Tensor PreActivation(int first, Tensor inputs)
    {
        long n = inputs.size(0);
        var weights = Weights.narrow(0, first, n);               // (n, w, w)
        var biases = Biases.narrow(0, first, n).unsqueeze(1);    // (n, 1, w)
        return torch.matmul(inputs, weights.transpose(1, 2)).add_(biases);
    }
}
