using ILGPU;

namespace DeepPcr.Gpu.Kernels;

/// <summary>
/// The per-element bodies of the engine's kernels, as device functions: each computes one output value (or
/// one PCR entry) from its flat index. The one-thread-per-value kernels call them once; the one-group kernels
/// (<see cref="OneGroupKernels"/>) stride over them with barriers in between. One body, two mappings.
/// </summary>
internal static class ChainElements
{
    /// <summary>Layer evaluation at (k, b, i): outputs, act' and the residual f_k(z_k) - z_{k+1}.</summary>
    public static void Evaluate(int index, ChainDims d, ArrayView<float> input, ArrayView<float> states, ArrayView<float> weights,
        ArrayView<float> biases, ArrayView<float> outputs, ArrayView<float> derivatives, ArrayView<float> residuals)
    {
        int w = d.Width;
        int k = index / d.Row, b = index / w % d.Batch, i = index % w;
        float pre = biases[k * w + i];
        int wRow = (k * w + i) * w;
        if (k == 0)
        {
            for (int j = 0; j < w; j++) pre += weights[wRow + j] * input[b * w + j];
        }
        else
        {
            int zRow = ((k - 1) * d.Batch + b) * w;
            for (int j = 0; j < w; j++) pre += weights[wRow + j] * states[zRow + j];
        }
        float f = DeviceMath.Activate(d.Activation, pre);
        outputs[index] = f;
        residuals[index] = f - states[index];
        derivatives[index] = DeviceMath.Derivative(d.Activation, pre);
    }

    /// <summary>Jacobian entry (k, b, i, j) = act'[k, b, i] W_k[i, j].</summary>
    public static void Jacobian(int index, ChainDims d, ArrayView<float> derivatives, ArrayView<float> weights, ArrayView<float> blocks)
    {
        int w = d.Width;
        int j = index % w, i = index / w % w, kb = index / (w * w);
        int k = kb / d.Batch;
        blocks[index] = derivatives[kb * w + i] * weights[(k * w + i) * w + j];
    }

    /// <summary>Reversed adjoint block entry (r, b, i, j) = act'(z_{L-r+1}[b, j]) W_{L-r}[j, i]; zero in row 0.</summary>
    public static void ReversedTransposedJacobian(int index, ChainDims d, ArrayView<float> states, ArrayView<float> weights, ArrayView<float> blocks)
    {
        int w = d.Width;
        int j = index % w, i = index / w % w, rb = index / (w * w);
        int r = rb / d.Batch, b = rb % d.Batch;
        if (r == 0)
        {
            blocks[index] = 0f;
            return;
        }
        int k = d.Layers - r;
        float slope = DeviceMath.DerivativeFromOutput(d.Activation, states[(k * d.Batch + b) * w + j]);
        blocks[index] = slope * weights[(k * w + j) * w + i];
    }

    /// <summary>
    /// PCR round s at entry (r, b, i, j): for j = 0, c[r, b, i] (+= A_r c_{r-s} when r &gt;= s, else copied);
    /// for r &gt;= 2s, entry (i, j) of A_r A_{r-s} (flushed below 1e-18).
    /// </summary>
    public static void Round(int index, ChainDims d, int s, ArrayView<float> aIn, ArrayView<float> aOut, ArrayView<float> cIn, ArrayView<float> cOut)
    {
        int w = d.Width, ww = w * w, row = d.Batch * ww;
        int r = index / row, within = index % row;
        int b = within / ww, i = within / w % w, j = within % w;
        if (j == 0)
        {
            int ci = (r * d.Batch + b) * w + i;
            float sum = cIn[ci];
            if (r >= s)
            {
                int prev = ((r - s) * d.Batch + b) * w;
                for (int k = 0; k < w; k++) sum += aIn[index + k] * cIn[prev + k];
                sum = DeviceMath.Flush(sum, DeviceMath.SmallestNormal);
            }
            cOut[ci] = sum;
        }
        if (r >= 2 * s)
        {
            int outer = index - j;                              // (r, b, i, 0)
            int inner = ((r - s) * d.Batch + b) * ww + j;       // (r - s, b, 0, j)
            float sum = 0f;
            for (int k = 0; k < w; k++) sum += aIn[outer + k] * aIn[inner + k * w];
            aOut[index] = DeviceMath.Flush(sum, DeviceMath.BlockCutoff);
        }
    }

    /// <summary>dW_k[i, j] (j &lt; w) or db_k[i] (j = w) at flat (k, i, j), summed over the batch in float64.</summary>
    public static void ParameterGradient(int index, ChainDims d, ArrayView<float> input, ArrayView<float> states, ArrayView<float> lambda,
        int reversed, ArrayView<float> weightGradients, ArrayView<float> biasGradients)
    {
        int w = d.Width, columns = w + 1;
        int k = index / (w * columns), i = index / columns % w, j = index % columns;
        int lambdaRow = reversed != 0 ? d.Layers - 1 - k : k;
        double sum = 0;
        for (int b = 0; b < d.Batch; b++)
        {
            float delta = DeviceMath.DerivativeFromOutput(d.Activation, states[(k * d.Batch + b) * w + i]) * lambda[(lambdaRow * d.Batch + b) * w + i];
            if (j == w)
            {
                sum += delta;
            }
            else
            {
                float zj = k == 0 ? input[b * w + j] : states[((k - 1) * d.Batch + b) * w + j];
                sum += (double)delta * zj;
            }
        }
        if (j == w) biasGradients[k * w + i] = (float)sum;
        else weightGradients[(k * w + i) * w + j] = (float)sum;
    }

    /// <summary>Input gradient at (b, j): sum_i W_0[i, j] act'(z_1[b, i]) lambda_1[b, i], in float64.</summary>
    public static void InputGradient(int index, ChainDims d, ArrayView<float> states, ArrayView<float> weights, ArrayView<float> lambda,
        int reversed, ArrayView<float> inputGradient)
    {
        int w = d.Width;
        int b = index / w, j = index % w;
        int lambdaRow = reversed != 0 ? d.Layers - 1 : 0;
        double sum = 0;
        for (int i = 0; i < w; i++)
        {
            float delta = DeviceMath.DerivativeFromOutput(d.Activation, states[b * w + i]) * lambda[(lambdaRow * d.Batch + b) * w + i];
            sum += (double)weights[i * w + j] * delta;
        }
        inputGradient[index] = (float)sum;
    }
}
