using System.Runtime.CompilerServices;

namespace DeepPcr.Models.Mlp;

/// <summary>
/// The fastest sequential MLP loop we write in plain C# (the physical reference on a CPU): contiguous
/// float arrays, one pass over the layers, no framework. Weights (L, w, w) row-major, biases (L, w),
/// states (B, w).
/// </summary>
public sealed class FusedMlpLoop
{
    private readonly float[] weights;
    private readonly float[] biases;
    private readonly int layers, width;
    private readonly Activation activation;

    /// <summary>Copies the chain's parameters (as float32) into flat arrays.</summary>
    public FusedMlpLoop(MlpChain chain)
    {
        layers = chain.Length;
        width = chain.Width;
        activation = chain.Activation;
        using var w = chain.Weights.to_type(TorchSharp.torch.ScalarType.Float32).contiguous();
        using var b = chain.Biases.to_type(TorchSharp.torch.ScalarType.Float32).contiguous();
        weights = w.data<float>().ToArray();
        biases = b.data<float>().ToArray();
    }

    /// <summary>Runs all layers on a batch; input and output (B, w) flat, B = input.Length / w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(ReadOnlySpan<float> input, Span<float> output)
    {
        int batch = input.Length / width;
        Span<float> z = width <= 256 ? stackalloc float[width] : new float[width];
        Span<float> next = width <= 256 ? stackalloc float[width] : new float[width];
        for (int s = 0; s < batch; s++)
        {
            input.Slice(s * width, width).CopyTo(z);
            for (int k = 0; k < layers; k++)
            {
                var w = weights.AsSpan(k * width * width, width * width);
                var b = biases.AsSpan(k * width, width);
                for (int i = 0; i < width; i++)
                {
                    float sum = b[i];
                    var row = w.Slice(i * width, width);
                    for (int j = 0; j < width; j++) sum += row[j] * z[j];
                    next[i] = Activate(sum);
                }
                next.CopyTo(z);
            }
            z.CopyTo(output.Slice(s * width, width));
        }
    }

    /// <summary>
    /// Runs all layers and keeps every state: states (L + 1, B, w) flat, states[0] = input. Feeds <see cref="Backward"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ForwardKeepingStates(ReadOnlySpan<float> input, Span<float> states)
    {
        int batch = input.Length / width, stride = batch * width;
        input.CopyTo(states);
        for (int k = 0; k < layers; k++)
        {
            var w = weights.AsSpan(k * width * width, width * width);
            var b = biases.AsSpan(k * width, width);
            var z = states.Slice(k * stride, stride);
            var next = states.Slice((k + 1) * stride, stride);
            for (int s = 0; s < batch; s++)
            {
                for (int i = 0; i < width; i++)
                {
                    float sum = b[i];
                    var row = w.Slice(i * width, width);
                    for (int j = 0; j < width; j++) sum += row[j] * z[s * width + j];
                    next[s * width + i] = Activate(sum);
                }
            }
        }
    }

    /// <summary>
    /// The hand-written sequential backward pass of sum(z_L * cotangent): walks the layers from L down to 1 with
    /// delta = act'(pre) * lambda, dW += delta z^T, db += delta, lambda = W^T delta.
    /// </summary>
    /// <param name="states">(L + 1, B, w) from <see cref="ForwardKeepingStates"/>.</param>
    /// <param name="cotangent">(B, w): dLoss/dz_L.</param>
    /// <param name="weightGradients">(L, w, w), overwritten.</param>
    /// <param name="biasGradients">(L, w), overwritten.</param>
    /// <param name="inputGradient">(B, w), overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Backward(ReadOnlySpan<float> states, ReadOnlySpan<float> cotangent, Span<float> weightGradients, Span<float> biasGradients, Span<float> inputGradient)
    {
        int batch = cotangent.Length / width;
        weightGradients.Clear();
        biasGradients.Clear();
        Span<float> delta = width <= 256 ? stackalloc float[width] : new float[width];
        for (int s = 0; s < batch; s++)
        {
            var lambda = inputGradient.Slice(s * width, width);
            cotangent.Slice(s * width, width).CopyTo(lambda);
            for (int k = layers - 1; k >= 0; k--)
            {
                var w = weights.AsSpan(k * width * width, width * width);
                var b = biases.AsSpan(k * width, width);
                var z = states.Slice((k * batch + s) * width, width);
                var gw = weightGradients.Slice(k * width * width, width * width);
                var gb = biasGradients.Slice(k * width, width);
                for (int i = 0; i < width; i++)
                {
                    float pre = b[i];
                    var row = w.Slice(i * width, width);
                    for (int j = 0; j < width; j++) pre += row[j] * z[j];
                    delta[i] = Slope(pre) * lambda[i];
                    gb[i] += delta[i];
                    var gRow = gw.Slice(i * width, width);
                    for (int j = 0; j < width; j++) gRow[j] += delta[i] * z[j];
                }
                for (int j = 0; j < width; j++)
                {
                    float sum = 0;
                    for (int i = 0; i < width; i++) sum += w[i * width + j] * delta[i];
                    lambda[j] = sum;
                }
            }
        }
    }

    private float Slope(float x)
    {
        switch (activation)
        {
            case Activation.Tanh:
                float t = MathF.Tanh(x);
                return 1 - t * t;
            case Activation.Relu:
                return x > 0 ? 1 : 0;
            case Activation.Sigmoid:
                float s = 1f / (1f + MathF.Exp(-x));
                return s * (1 - s);
            case Activation.Gelu:
                return (float)(0.5 * (1 + Erf(x / Math.Sqrt(2))) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI));
            default:
                return 1;
        }
    }

    private float Activate(float x) => activation switch
    {
        Activation.Tanh => MathF.Tanh(x),
        Activation.Relu => x > 0 ? x : 0,
        Activation.Sigmoid => 1f / (1f + MathF.Exp(-x)),
        Activation.Gelu => (float)(0.5 * x * (1 + Erf(x / Math.Sqrt(2)))),
        _ => x,
    };

    /// <summary>erf to about 1e-7 (Abramowitz and Stegun 7.1.26 is too coarse; this uses a series / continued fraction split).</summary>
    private static double Erf(double x)
    {
        double t = 1.0 / (1.0 + 0.5 * Math.Abs(x));
        // Numerical Recipes erfc approximation, fractional error below 1.2e-7.
        double y = t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
                   t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1 - y : y - 1;
    }
}
