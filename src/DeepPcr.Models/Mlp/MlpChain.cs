using System.Numerics;
using System.Runtime.InteropServices;
using DeepPcr.Chains;
using DeepPcr.Validation;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Mlp;

/// <summary>
/// A deep MLP as a chain: z_{k+1} = act(W_k z_k + b_k), k = 0..L-1, every layer of width w.
/// Its Jacobian is analytic and dense: J_k = diag(act'(W_k z_k + b_k)) W_k.
/// </summary>
public sealed class MlpChain : IHostDifferentiableChainStep, ISegmentedChainStep
{
    /// <summary>Wraps the given weights (L, w, w) and biases (L, w); the tensors stay the caller's.</summary>
    /// <exception cref="ArgumentException">Shapes or dtypes that do not fit, L = 0, or non-finite values.</exception>
    public MlpChain(Tensor weights, Tensor biases, Activation activation)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(biases);
        TensorChecks.FloatingPoint(weights, "weights");
        if (weights.dim() != 3 || weights.shape[1] != weights.shape[2])
        {
            throw new ArgumentException($"weights must have shape (L, w, w) but have {TensorChecks.Format(weights.shape)}.", nameof(weights));
        }
        if (weights.shape[0] == 0) throw new ArgumentException("The MLP has L = 0 layers; at least one is needed.", nameof(weights));
        TensorChecks.Shape(biases, "biases", weights.shape[0], weights.shape[1]);
        TensorChecks.SameKind(biases, "biases", weights, "weights");
        TensorChecks.Finite(weights, "weights");
        TensorChecks.Finite(biases, "biases");
        Weights = weights;
        Biases = biases;
        Activation = activation;
    }

    /// <summary>(L, w, w): W_k maps z_k to the pre-activation of layer k.</summary>
    public Tensor Weights { get; }

    /// <summary>(L, w).</summary>
    public Tensor Biases { get; }

    /// <summary>The activation of every layer.</summary>
    public Activation Activation { get; }

    /// <inheritdoc />
    public int Length => (int)Weights.shape[0];

    /// <inheritdoc />
    public int Width => (int)Weights.shape[1];

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
    public MlpChain To(ScalarType dtype) => new(Weights.to_type(dtype), Biases.to_type(dtype), Activation);

    /// <inheritdoc />
    public Tensor Evaluate(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        return Activation.Apply(PreActivation(first, inputs)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Jacobian(int first, Tensor inputs)
    {
        using var scope = torch.NewDisposeScope();
        var slope = Activation.Derivative(PreActivation(first, inputs));     // (n, B, w)
        var weights = Weights.narrow(0, first, inputs.shape[0]).unsqueeze(1); // (n, 1, w, w)
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
            && cotangents.device_type == DeviceType.CPU && SupportsHost(inputs.dtype) && inputs.shape[0] == Length)
        {
            return inputs.dtype == ScalarType.Float32 ? HostParameterGradients<float>(inputs, cotangents) : HostParameterGradients<double>(inputs, cotangents);
        }
        return ParameterGradientsWithTorch(inputs, cotangents);
    }

    /// <summary>The parameter gradients from TorchSharp operations: any device; the reference for the host pass.</summary>
    internal IReadOnlyList<Tensor> ParameterGradientsWithTorch(Tensor inputs, Tensor cotangents)
    {
        using var scope = torch.NewDisposeScope();
        var delta = Activation.Derivative(PreActivation(0, inputs)) * cotangents;       // (L, B, w)
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
        && HostActivation.ExactFor(Activation, dtype == ScalarType.Float64);

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
        var activation = Activation;
        bool gelu = activation == Activation.Gelu;
        fixed (byte* pw = Weights.bytes, pb = Biases.bytes)
        fixed (T* pIn = inputs, pOut = outputs, pJac = jacobian)
        {
            T* weights = (T*)pw, biases = (T*)pb;
            // Pre-activations (GELU: its value and slope from the pre-activation, on the spot).
            for (int r = 0; r < rows; r++)
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
            HostActivation.ApplyInPlace(activation, outputs);
            if (!withJacobian) return;
            for (int r = 0; r < rows; r++)
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
    }

    /// <summary>The fused sequential loop: parameters read in place once, one dot product per output and one vectorised
    /// activation per layer (see <see cref="FusedMlpLoop{T}"/> for the benchmark's loop with its own weight layout).</summary>
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
        var activation = Activation;
        fixed (byte* pw = Weights.bytes, pb = Biases.bytes)
        fixed (T* z0 = start, zs = states)
        {
            T* weights = (T*)pw, biases = (T*)pb;
            for (int k = 0; k < count; k++)
            {
                int layer = first + k;
                T* input = k == 0 ? z0 : zs + (long)(k - 1) * rowSize;
                T* output = zs + (long)k * rowSize;
                T* w = weights + (long)layer * width * width;
                for (int b = 0; b < batch; b++)
                {
                    for (int i = 0; i < width; i++) output[b * width + i] = Dot(w + i * width, input + b * width, width, biases[layer * width + i]);
                }
                // The activation over the whole layer at once: the vectorised call the host kernels make.
                var values = new Span<T>(output, rowSize);
                HostActivation.ApplyInPlace(activation, values);
                if (residualScale is T h) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(values, h, new ReadOnlySpan<T>(input, rowSize), values);
            }
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
        int batch = (int)inputs.shape[1];
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
        var activation = Activation;
        fixed (byte* pw = gradW.bytes, pb = gradB.bytes, pWeights = Weights.bytes, pBias = Biases.bytes)
        fixed (T* zs = inputs, gs = cotangents, values = outputs)
        {
            T* gw = (T*)pw, gb = (T*)pb, weights = (T*)pWeights, biases = (T*)pBias;
            for (int l = 0; l < length; l++)
            {
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
        long n = inputs.shape[0];
        var weights = Weights.narrow(0, first, n);               // (n, w, w)
        var biases = Biases.narrow(0, first, n).unsqueeze(1);    // (n, 1, w)
        return torch.matmul(inputs, weights.transpose(1, 2)).add_(biases);
    }
}
